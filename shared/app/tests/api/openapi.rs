//! `docs/openapi.yaml` describes exactly the routes of the table.

use std::collections::BTreeSet;

use prolink_app::api::auth::routes::LOCAL_ROUTES;
use prolink_app::api::{routes, PUBLIC_PATHS};

#[test]
fn the_spec_and_the_route_table_name_the_same_routes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    assert_eq!(spec["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("a path").to_string();
        for (method, _) in item.as_mapping().expect("operations") {
            let method = method.as_str().expect("a method");
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                in_spec.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let in_table: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .chain(
            LOCAL_ROUTES
                .iter()
                .map(|(method, path)| (method.to_string(), path.to_string())),
        )
        .chain(
            PUBLIC_PATHS
                .iter()
                .map(|path| ("GET".to_string(), path.to_string())),
        )
        .collect();
    assert_eq!(in_spec, in_table);
    // Every operation but the sign-in and open data requires the bearer token and documents
    // its error answers; the sign-in routes and the public routes, and only they, are open.
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("operations") {
            let open = operation["security"]
                .as_sequence()
                .is_some_and(Vec::is_empty);
            let sign_in = path
                .as_str()
                .is_some_and(|p| p.starts_with("/api/auth/") || PUBLIC_PATHS.contains(&p));
            assert_eq!(open, sign_in, "{method:?} {path:?}: security");
            if open {
                continue;
            }
            let responses = operation["responses"].as_mapping().expect("responses");
            for status in ["401", "403"] {
                assert!(
                    responses.contains_key(serde_yaml::Value::from(status)),
                    "{method:?} {path:?} documents {status}"
                );
            }
        }
    }
}
