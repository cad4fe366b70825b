//! The complaint flow diagram in `docs/sop-aduan.md` (the SOP officials sign off) must be the
//! lifecycle the code enforces: the same states, labels, transitions, actors and final states.

use std::collections::{BTreeMap, BTreeSet};

use prolink_domain::complaint::{ActorKind, Status, TRANSITIONS};

/// What the SOP calls each actor (the words of the lifecycle's refusal messages).
fn actor_word(actor: ActorKind) -> &'static str {
    match actor {
        ActorKind::Citizen => "pelapor",
        ActorKind::Operator => "petugas",
        ActorKind::System => "sistem",
    }
}

#[derive(Debug, Default)]
struct Diagram {
    /// state id → display label
    labels: BTreeMap<String, String>,
    /// (from, to) → actor words
    edges: BTreeMap<(String, String), BTreeSet<String>>,
    initial: BTreeSet<String>,
    finals: BTreeSet<String>,
}

/// Reads the first ```mermaid block holding a `stateDiagram-v2`: `state "Label" as id`
/// lines and `a --> b : actor, actor` transitions (`[*]` for start and end).
fn parse(markdown: &str) -> Result<Diagram, String> {
    let mut lines = markdown.lines();
    lines
        .by_ref()
        .find(|l| l.trim() == "```mermaid")
        .ok_or("no ```mermaid block")?;
    let mut diagram = Diagram::default();
    let mut header = false;
    for raw in lines {
        let line = raw.trim();
        if line == "```" {
            return if header {
                Ok(diagram)
            } else {
                Err("the block is not a stateDiagram-v2".into())
            };
        }
        if line.is_empty() || line.starts_with("%%") {
            continue;
        }
        if line == "stateDiagram-v2" {
            header = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("state \"") {
            let (label, id) = rest
                .split_once("\" as ")
                .ok_or_else(|| format!("unreadable state line: {line}"))?;
            diagram.labels.insert(id.trim().into(), label.into());
            continue;
        }
        let (from, rest) = line
            .split_once("-->")
            .ok_or_else(|| format!("unreadable line: {line}"))?;
        let (to, actors) = rest.split_once(':').unwrap_or((rest, ""));
        let (from, to) = (from.trim().to_string(), to.trim().to_string());
        match (from.as_str(), to.as_str()) {
            ("[*]", _) => {
                diagram.initial.insert(to);
            }
            (_, "[*]") => {
                diagram.finals.insert(from);
            }
            _ => {
                let words = actors
                    .split(',')
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect();
                if diagram.edges.insert((from, to), words).is_some() {
                    return Err(format!("transition drawn twice: {line}"));
                }
            }
        }
    }
    Err("the mermaid block is not closed".into())
}

fn sop() -> String {
    let path = format!("{}/../../docs/sop-aduan.md", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn code_edges() -> BTreeMap<(String, String), BTreeSet<String>> {
    TRANSITIONS
        .iter()
        .map(|(from, to, actors)| {
            (
                (from.as_str().to_string(), to.as_str().to_string()),
                actors.iter().map(|a| actor_word(*a).to_string()).collect(),
            )
        })
        .collect()
}

/// How the diagram differs from the code (empty: it draws the code's lifecycle).
fn mismatches(diagram: &Diagram) -> Vec<String> {
    let mut out = Vec::new();
    let labels: BTreeMap<String, String> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.label().to_string()))
        .collect();
    if diagram.labels != labels {
        out.push(format!(
            "states: diagram {:?}, code {labels:?}",
            diagram.labels
        ));
    }
    let edges = code_edges();
    for (edge, actors) in &diagram.edges {
        match edges.get(edge) {
            None => out.push(format!("{edge:?} is drawn but the code refuses it")),
            Some(code) if code != actors => out.push(format!(
                "{edge:?}: diagram says {actors:?}, the code allows {code:?}"
            )),
            Some(_) => {}
        }
    }
    for edge in edges.keys().filter(|e| !diagram.edges.contains_key(*e)) {
        out.push(format!("{edge:?} is allowed by the code but not drawn"));
    }
    let finals: BTreeSet<String> = Status::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| s.as_str().to_string())
        .collect();
    if diagram.finals != finals {
        out.push(format!(
            "final states: diagram {:?}, code {finals:?}",
            diagram.finals
        ));
    }
    if diagram.initial != BTreeSet::from([Status::Diterima.as_str().to_string()]) {
        out.push(format!(
            "start: diagram {:?}, a complaint starts as diterima",
            diagram.initial
        ));
    }
    out
}

#[test]
fn the_sop_diagram_draws_the_lifecycle_of_the_code() {
    let diagram = parse(&sop()).unwrap();
    assert_eq!(mismatches(&diagram), Vec::<String>::new());
}

#[test]
fn the_comparison_notices_a_diagram_that_drifts() {
    let good = sop();
    // A transition the code refuses, one the code allows left out, a wrong actor, a renamed
    // state and a final state left open each make the diagram differ from the code.
    let drifts = [
        good.replacen(
            "    [*] --> diterima\n",
            "    [*] --> diterima\n    ditutup --> diproses : petugas\n",
            1,
        ),
        good.replacen("    diproses --> selesai : petugas\n", "", 1),
        good.replacen(
            "diterima --> ditolak : petugas",
            "diterima --> ditolak : pelapor",
            1,
        ),
        good.replacen("as dicabut\n", "as dibatalkan\n", 1),
        good.replacen("    dicabut --> [*]\n", "", 1),
    ];
    for (n, drifted) in drifts.iter().enumerate() {
        assert_ne!(
            drifted, &good,
            "drift {n} did not apply: the SOP text changed"
        );
        let diagram = parse(drifted).unwrap();
        assert!(!mismatches(&diagram).is_empty(), "drift {n} went unnoticed");
    }
}
