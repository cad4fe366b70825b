"""Checks of template.yaml against the code, run by validate_template.py after the SAM
transform and cfn-lint. Each check takes the repository root, the template as written
(`raw`: short tags as Fn:: mappings) and the transformed CloudFormation (`out`), and returns a
list of failures. `self_test` breaks a copy of the inputs once per check and asserts that the
check notices, so none of them can pass by reading nothing.
"""

import copy
import re
from pathlib import Path

# Variables the code reads that no Lambda gets, and why.
LOCAL_ONLY_VARIABLES = {
    # On AWS the credentials come from the Secrets Manager secret (WHATSAPP_SECRET_ARN).
    "WHATSAPP_APP_SECRET": "secret: read from Secrets Manager on AWS",
    "WHATSAPP_APP_SECRET_PREVIOUS": "secret: read from Secrets Manager on AWS",
    "WHATSAPP_VERIFY_TOKEN": "secret: read from Secrets Manager on AWS",
    "WHATSAPP_ACCESS_TOKEN": "secret: read from Secrets Manager on AWS",
    # The SQLite folder of `prolink serve`.
    "PROLINK_DATA_DIR": "local mode's data folder",
    # Operators' phone numbers are personal data: on AWS they live in the table only (the
    # dashboard's setting), never in the function configuration.
    "PROLINK_OPERATOR_CONTACTS": "local mode's first-start seed only",
}
# Never set on a function, whatever the code reads; the non-secret ones are also never read by
# a function's wiring (the secrets' names are shared with the local provider's code).
FORBIDDEN_VARIABLES = set(LOCAL_ONLY_VARIABLES)
SECRET_VARIABLES = {name for name, why in LOCAL_ONLY_VARIABLES.items() if why.startswith("secret")}

# The CSP of CloudFront may differ from `prolink serve`'s only here: the per-stack origins
# (the API, Cognito's hosted UI, the media bucket's presigned photo URLs) and the upgrade of
# any http: reference (CloudFront serves HTTPS only).
CSP_STACK_SOURCES = {
    "img-src": {"https://${MediaBucket.RegionalDomainName}"},
    "connect-src": {
        "https://${OperatorApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com",
    },
    "form-action": {"https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"},
}
CSP_CLOUDFRONT_ONLY_DIRECTIVES = {"upgrade-insecure-requests"}

RUST_FN = re.compile(r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)", re.M)
RUST_IMPL = re.compile(r"^impl(?:<[^>]*>)?\s+(?:[\w:<>]+\s+for\s+)?(\w+)", re.M)
RUST_STR_CONST = re.compile(r'pub const (\w+): &str = "([A-Z][A-Z0-9_]+)";')
RUST_ENV_LITERAL = re.compile(r'(?:env::var|env_opt)\(\s*"([A-Z][A-Z0-9_]+)"')


def resources(template, kind=None):
    found = (template.get("Resources") or {}).items()
    return {name: r for name, r in found if kind is None or r.get("Type") == kind}


def ref(name):
    return {"Ref": name}


# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------


def crate_binaries(root):
    """Binary name -> crate folder for every Lambda crate (functions/* but local)."""
    crates = {}
    for manifest in sorted((root / "functions").glob("*/Cargo.toml")):
        if manifest.parent.name == "local":
            continue
        text = manifest.read_text(encoding="utf-8")
        bins = re.findall(r'\[\[bin\]\][^\[]*?name\s*=\s*"([^"]+)"', text, re.S)
        package = re.search(r'\[package\][^\[]*?name\s*=\s*"([^"]+)"', text, re.S)
        name = bins[0] if len(bins) == 1 else (package.group(1) if package else None)
        crates[name] = manifest.parent
    return crates


def template_binaries(raw):
    """Logical id -> binary of every AWS::Serverless::Function."""
    return {
        name: ((r.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
        for name, r in resources(raw, "AWS::Serverless::Function").items()
    }


def check_functions(root, raw, out):
    failures = []
    crates = crate_binaries(root)
    binaries = template_binaries(raw)
    deployed = set(binaries.values())
    for binary in sorted(set(crates) - deployed):
        failures.append(f"functions/{crates[binary].name} ({binary}) is not in the template")
    for name, binary in sorted(binaries.items()):
        if binary not in crates:
            failures.append(f"{name}: Binary {binary!r} is no crate under functions/ (local excluded)")
    architecture = (raw.get("Parameters") or {}).get("Architecture") or {}
    if architecture.get("Default") != "arm64":
        failures.append("parameter Architecture must default to arm64")
    for name, function in resources(out, "AWS::Lambda::Function").items():
        props = function.get("Properties") or {}
        if props.get("Runtime") != "provided.al2023":
            failures.append(f"{name}: Runtime {props.get('Runtime')!r}, expected provided.al2023")
        if props.get("Architectures") != [ref("Architecture")]:
            failures.append(f"{name}: Architectures must be [!Ref Architecture]")
        for key in ("MemorySize", "Timeout"):
            if not isinstance(props.get(key), int):
                failures.append(f"{name}: no {key}")
    return failures


# ---------------------------------------------------------------------------------------------
# Environment: what each function's wiring reads, from the Rust sources
# ---------------------------------------------------------------------------------------------


def brace_block(text, start):
    """(open, close) of the brace block opening at or after `start`, or None when a `;`
    comes first (a declaration without a body)."""
    open_at = None
    for i in range(start, len(text)):
        if text[i] == ";":
            return None
        if text[i] == "{":
            open_at = i
            break
    if open_at is None:
        return None
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return open_at, i
    return open_at, len(text)


def rust_functions(path, plain=True):
    """{key: body} for every fn of a file; keys are `name` (when `plain`) and `Type::name`
    for methods of `impl Type`."""
    text = path.read_text(encoding="utf-8")
    impls = []
    for match in RUST_IMPL.finditer(text):
        block = brace_block(text, match.end())
        if block:
            impls.append((block[0], block[1], match.group(1)))
    found = {}
    for match in RUST_FN.finditer(text):
        block = brace_block(text, match.end())
        if not block:
            continue
        body = text[block[0] : block[1] + 1]
        name = match.group(1)
        owner = next((t for s, e, t in impls if s < match.start() < e), None)
        if owner:
            found[f"{owner}::{name}"] = body
        if plain:
            found.setdefault(name, body)
    return found


def variable_constants(root):
    """Constant name -> environment variable name, from config.rs and metrics.rs."""
    constants = {}
    for path in ("shared/app/src/config.rs", "shared/aws/src/metrics.rs"):
        constants.update(RUST_STR_CONST.findall((root / path).read_text(encoding="utf-8")))
    return constants


def reads_in(body, constants):
    names = {constants[c] for c in re.findall(r"\b([A-Z][A-Z0-9_]+)\b", body) if c in constants}
    return names | set(RUST_ENV_LITERAL.findall(body))


def wiring_index(root):
    index = {}
    # Qualified methods everywhere, plain names only where they are unambiguous (the wiring
    # and the configuration helpers).
    index.update(rust_functions(root / "shared/app/src/broadcast.rs", plain=False))
    index.update(rust_functions(root / "shared/aws/src/metrics.rs", plain=False))
    index.update(rust_functions(root / "shared/app/src/config.rs"))
    index.update(rust_functions(root / "shared/aws/src/lambda.rs"))
    return index


def reachable_reads(root, entry):
    """Environment variables read by `entry` (a fn of lambda.rs) and what it calls."""
    index = wiring_index(root)
    constants = variable_constants(root)
    seen, stack, reads = set(), [entry], set()
    while stack:
        key = stack.pop()
        if key in seen or key not in index:
            continue
        seen.add(key)
        body = index[key]
        reads |= reads_in(body, constants)
        for owner, name in re.findall(r"\b([A-Z]\w*)::(\w+)\s*\(", body):
            stack.append(f"{owner}::{name}")
        stack.extend(re.findall(r"\b([a-z_]\w*)\s*\(", body))
    if entry not in seen:
        raise ValueError(f"no fn {entry} in shared/aws/src/lambda.rs")
    return reads


def entry_points(root):
    """Binary -> the lambda.rs fn its main.rs runs."""
    entries = {}
    for binary, folder in crate_binaries(root).items():
        main = (folder / "src/main.rs").read_text(encoding="utf-8")
        called = re.findall(r"prolink_aws::lambda::(\w+)\s*\(", main)
        entries[binary] = called[0] if len(called) == 1 else None
    return entries


def template_variables(raw, name):
    globals_vars = (((raw.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
        "Variables"
    ) or {}
    function = resources(raw).get(name) or {}
    own = ((function.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
    return set(globals_vars) | set(own)


def all_reads(root):
    """Every variable the shared AWS-side code reads anywhere (handlers included)."""
    constants = variable_constants(root)
    reads = set()
    for folder in ("shared/app/src", "shared/aws/src"):
        for path in sorted((root / folder).rglob("*.rs")):
            text = path.read_text(encoding="utf-8")
            if path.name == "config.rs":
                # Only what its functions read, not the lambda_environment table or the docs.
                text = "\n".join(
                    body
                    for key, body in rust_functions(path).items()
                    if key != "lambda_environment"
                )
                reads |= reads_in(text, constants)
                continue
            reads |= set(RUST_ENV_LITERAL.findall(text))
            for const in re.findall(r"\bconfig::([A-Z][A-Z0-9_]+)\b", text):
                if const in constants:
                    reads.add(constants[const])
    return reads


def check_environment(root, raw, out):
    failures = []
    entries = entry_points(root)
    set_anywhere = set()
    for name, binary in sorted(template_binaries(raw).items()):
        present = template_variables(raw, name)
        set_anywhere |= present
        for forbidden in sorted(present & FORBIDDEN_VARIABLES):
            failures.append(f"{name}: {forbidden} must not be a Lambda variable ({LOCAL_ONLY_VARIABLES[forbidden]})")
        entry = entries.get(binary)
        if not entry:
            failures.append(f"{name}: functions/*/src/main.rs of {binary} runs no single prolink_aws::lambda fn")
            continue
        reads = reachable_reads(root, entry)
        for forbidden in sorted(reads & FORBIDDEN_VARIABLES - SECRET_VARIABLES):
            failures.append(f"{name}: the Lambda wiring (lambda::{entry}) reads {forbidden} ({LOCAL_ONLY_VARIABLES[forbidden]})")
        missing = sorted(reads - present - set(LOCAL_ONLY_VARIABLES))
        if missing:
            failures.append(f"{name} ({binary}, lambda::{entry}) reads {missing} but the template does not set them")
    unknown = sorted(all_reads(root) - set_anywhere - set(LOCAL_ONLY_VARIABLES))
    if unknown:
        failures.append(
            f"the code reads {unknown}, set for no function and not listed as local-only in tests/template_checks.py"
        )
    return failures


# ---------------------------------------------------------------------------------------------
# Logs, alarms, metrics
# ---------------------------------------------------------------------------------------------


def check_log_groups(root, raw, out):
    failures = []
    groups = resources(out, "AWS::Logs::LogGroup")
    for name, function in resources(out, "AWS::Lambda::Function").items():
        target = ((function.get("Properties") or {}).get("LoggingConfig") or {}).get("LogGroup")
        group_name = target.get("Ref") if isinstance(target, dict) else None
        group = groups.get(group_name)
        if not group:
            failures.append(f"{name}: LoggingConfig.LogGroup is not a log group of the template")
        elif "RetentionInDays" not in (group.get("Properties") or {}):
            failures.append(f"{name}: log group {group_name} keeps logs forever (no RetentionInDays)")
    return failures


def emitted_metrics(root):
    text = (root / "shared/aws/src/metrics.rs").read_text(encoding="utf-8")
    constants = dict(re.findall(r'pub const (\w+): &str = "(\w+)";', text))
    listed = re.search(r"pub const METRICS: &\[&str\] = &\[(.*?)\];", text, re.S)
    return {constants[c] for c in re.findall(r"\b([A-Z_]+)\b", listed.group(1)) if c in constants}


def alarm_watches(alarm, namespace, metric, dimension_value=None):
    props = alarm.get("Properties") or {}
    if props.get("Namespace") != namespace or props.get("MetricName") != metric:
        return False
    if dimension_value is None:
        return True
    return any(d.get("Value") == dimension_value for d in props.get("Dimensions") or [])


def dead_letter_queues(out):
    """Logical ids of every queue something dead-letters into."""
    queues = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "deadLetterTargetArn" and isinstance(value, dict) and "Fn::GetAtt" in value:
                    queues.add(value["Fn::GetAtt"][0])
                if key == "DeadLetterConfig" and isinstance(value, dict):
                    arn = value.get("Arn")
                    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                        queues.add(arn["Fn::GetAtt"][0])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out.get("Resources") or {})
    return queues


def check_alarms(root, raw, out):
    failures = []
    topic = resources(out).get("AlarmTopic")
    if not topic or topic.get("Type") != "AWS::SNS::Topic" or "Condition" in topic:
        failures.append("AlarmTopic must be an unconditional SNS topic")
    alarms = resources(out, "AWS::CloudWatch::Alarm")
    for name, alarm in sorted(alarms.items()):
        if (alarm.get("Properties") or {}).get("AlarmActions") != [ref("AlarmTopic")]:
            failures.append(f"{name}: AlarmActions must be [!Ref AlarmTopic]")
    for function in sorted(resources(out, "AWS::Lambda::Function")):
        for metric in ("Errors", "Throttles"):
            if not any(alarm_watches(a, "AWS/Lambda", metric, ref(function)) for a in alarms.values()):
                failures.append(f"{function}: no {metric} alarm")
    for queue in sorted(dead_letter_queues(out)):
        value = {"Fn::GetAtt": [queue, "QueueName"]}
        if not any(
            alarm_watches(a, "AWS/SQS", "ApproximateNumberOfMessagesVisible", value) for a in alarms.values()
        ):
            failures.append(f"dead-letter queue {queue}: no depth alarm")
    for api, metric in (("WebhookApi", "4xx"), ("WebhookApi", "5xx"), ("OperatorApi", "5xx")):
        if not any(alarm_watches(a, "AWS/ApiGateway", metric, ref(api)) for a in alarms.values()):
            failures.append(f"{api}: no {metric} alarm")
    emitted = emitted_metrics(root)
    business = set()
    for name, alarm in sorted(alarms.items()):
        props = alarm.get("Properties") or {}
        namespace = props.get("Namespace")
        if isinstance(namespace, dict):  # !Sub ProlinkSakti/${Stage}: the functions' metrics
            metric = props.get("MetricName")
            business.add(metric)
            if metric not in emitted:
                failures.append(f"{name}: metric {metric!r} is not emitted (shared/aws/src/metrics.rs METRICS)")
    for required in ("SlaBreaches", "BroadcastsStopped"):
        if required not in business:
            failures.append(f"no alarm on the {required} metric")
    dashboards = resources(out, "AWS::CloudWatch::Dashboard")
    body = repr([d.get("Properties", {}).get("DashboardBody") for d in dashboards.values()])
    for metric in sorted(emitted):
        if f'"{metric}"' not in body:
            failures.append(f"the CloudWatch dashboard does not show {metric}")
    return failures


# ---------------------------------------------------------------------------------------------
# IAM: no wildcard except where the service has no resource-level permission
# ---------------------------------------------------------------------------------------------

WILDCARD_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def check_roles(root, raw, out):
    failures = []
    for name, role in sorted(resources(out, "AWS::IAM::Role").items()):
        for policy in (role.get("Properties") or {}).get("Policies") or []:
            for statement in (policy.get("PolicyDocument") or {}).get("Statement") or []:
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                actions = statement.get("Action")
                actions = actions if isinstance(actions, list) else [actions]
                if any(isinstance(a, str) and "*" in a for a in actions):
                    failures.append(f"{name}: wildcard action in {actions}")
                if statement.get("Resource") == "*" and not set(actions) <= WILDCARD_ACTIONS:
                    failures.append(f"{name}: Resource * for {actions}")
    return failures


# ---------------------------------------------------------------------------------------------
# The dashboard's CSP: CloudFront = prolink serve, but for the stack's own origins
# ---------------------------------------------------------------------------------------------


def parse_csp(text):
    policy = {}
    for directive in text.split(";"):
        words = directive.split()
        if words:
            policy[words[0]] = set(words[1:])
    return policy


def rust_csp(root):
    text = (root / "shared/embedded/src/dashboard.rs").read_text(encoding="utf-8")
    match = re.search(r'pub const CONTENT_SECURITY_POLICY: &str = "((?:[^"\\]|\\.)*)";', text, re.S)
    # A Rust string continuation: backslash, newline, then the next line's indentation.
    return re.sub(r"\\\n\s*", "", match.group(1))


def template_csp(raw):
    headers = resources(raw).get("DashboardResponseHeaders") or {}
    config = (headers.get("Properties") or {}).get("ResponseHeadersPolicyConfig") or {}
    value = ((config.get("SecurityHeadersConfig") or {}).get("ContentSecurityPolicy") or {}).get(
        "ContentSecurityPolicy"
    )
    return value.get("Fn::Sub") if isinstance(value, dict) else value


def check_csp(root, raw, out):
    served = parse_csp(rust_csp(root))
    text = template_csp(raw)
    if not isinstance(text, str):
        return ["DashboardResponseHeaders has no ContentSecurityPolicy string"]
    cloudfront = parse_csp(text)
    failures = []
    for directive in sorted(set(served) | set(cloudfront)):
        if directive in CSP_CLOUDFRONT_ONLY_DIRECTIVES and directive not in served:
            continue
        extra = CSP_STACK_SOURCES.get(directive, set())
        ours = cloudfront.get(directive)
        if ours is None or directive not in served:
            failures.append(f"CSP directive {directive!r} only in {'prolink serve' if ours is None else 'template.yaml'}")
            continue
        if not extra <= ours:
            failures.append(f"CSP {directive}: template lacks the stack's {sorted(extra - ours)}")
        if ours - extra != served[directive]:
            failures.append(
                f"CSP {directive}: template {sorted(ours - extra)} != prolink serve {sorted(served[directive])}"
            )
    return failures


# ---------------------------------------------------------------------------------------------
# DynamoDB: every index and key attribute the adapters use exists on the table
# ---------------------------------------------------------------------------------------------


def used_indexes(root):
    """{index name: {its key attributes}} named anywhere in shared/aws/src/dynamo*.rs."""
    used = {}
    for path in sorted((root / "shared/aws/src").glob("dynamo*.rs")):
        text = path.read_text(encoding="utf-8")
        for index in re.findall(r'"(GSI\d+)(?:PK|SK)?"', text):
            used.setdefault(index, set())
        for index, part in re.findall(r'"(GSI\d+)(PK|SK)"', text):
            used[index].add(f"{index}{part}")
    return used


def check_indexes(root, raw, out):
    failures = []
    table = (resources(raw).get("Table") or {}).get("Properties") or {}
    defined = {a.get("AttributeName"): a.get("AttributeType") for a in table.get("AttributeDefinitions") or []}
    declared = {}
    for index in table.get("GlobalSecondaryIndexes") or []:
        keys = {k.get("AttributeName"): k.get("KeyType") for k in index.get("KeySchema") or []}
        declared[index.get("IndexName")] = keys
        if (index.get("Projection") or {}).get("ProjectionType") != "ALL":
            failures.append(f"index {index.get('IndexName')}: the adapters read whole items (ProjectionType ALL)")
    used = used_indexes(root)
    if not used:
        failures.append("no GSI named in shared/aws/src/dynamo*.rs (the pattern no longer matches)")
    for index, attributes in sorted(used.items()):
        keys = declared.get(index)
        if keys is None:
            failures.append(f"index {index} is queried by shared/aws but not declared on Table")
            continue
        expected = {f"{index}PK": "HASH", f"{index}SK": "RANGE"}
        if keys != expected:
            failures.append(f"index {index}: key schema {keys}, expected {expected}")
        for attribute in sorted(attributes | set(expected)):
            if defined.get(attribute) != "S":
                failures.append(f"index {index}: attribute {attribute} is not defined as a string")
    return failures


# ---------------------------------------------------------------------------------------------
# samconfig.toml: the environments docs/deploy.md names, and only parameters that exist
# ---------------------------------------------------------------------------------------------

SAM_ENVIRONMENTS = {
    "default": "prolink-sakti-staging",
    "staging": "prolink-sakti-staging",
    "production": "prolink-sakti-production",
}


def override_names(text):
    """Parameter names of a `parameter_overrides` string (Name="value" Name2=value ...)."""
    return re.findall(r'(?:^|\s)([A-Za-z0-9]+)=(?:"[^"]*"|\S+)', text)


def check_samconfig(root, raw, out):
    import tomllib

    failures = []
    config = tomllib.loads((root / "samconfig.toml").read_text(encoding="utf-8"))
    parameters = raw.get("Parameters") or {}
    for env, stack in SAM_ENVIRONMENTS.items():
        section = config.get(env) or {}
        build = (section.get("build") or {}).get("parameters") or {}
        deploy = (section.get("deploy") or {}).get("parameters") or {}
        glob = (section.get("global") or {}).get("parameters") or {}
        if glob.get("region") != "ap-southeast-3" or deploy.get("region") != "ap-southeast-3":
            failures.append(f"samconfig [{env}]: region must be ap-southeast-3")
        if build.get("beta_features") is not True:
            failures.append(f"samconfig [{env}]: build needs beta_features = true (rust-cargolambda)")
        if deploy.get("stack_name") != stack:
            failures.append(f"samconfig [{env}]: stack_name {deploy.get('stack_name')!r}, expected {stack}")
        if "CAPABILITY_IAM" not in str(deploy.get("capabilities")):
            failures.append(f"samconfig [{env}]: capabilities lack CAPABILITY_IAM")
        if (env == "production") != (deploy.get("confirm_changeset") is True):
            failures.append(f"samconfig [{env}]: confirm_changeset must be true for production only")
        for name in override_names(str(deploy.get("parameter_overrides", ""))):
            if name not in parameters:
                failures.append(f"samconfig [{env}]: parameter {name} is not in template.yaml")
    return failures


CHECKS = [
    check_functions,
    check_environment,
    check_log_groups,
    check_alarms,
    check_roles,
    check_csp,
    check_indexes,
    check_samconfig,
]


def run_all(root, raw, out):
    failures = []
    for check in CHECKS:
        try:
            failures.extend(check(Path(root), raw, out))
        except Exception as error:  # noqa: BLE001 - a check that cannot run is a failure
            failures.append(f"{check.__name__} could not run: {error!r}")
    return failures


# ---------------------------------------------------------------------------------------------
# Self-test: each breakage must be caught by its check
# ---------------------------------------------------------------------------------------------


def _env(raw, name):
    return raw["Resources"][name]["Properties"]["Environment"]["Variables"]


def _csp_set(raw, text):
    config = raw["Resources"]["DashboardResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"] = {"Fn::Sub": text}


def _first(kind, out):
    return next(iter(sorted(resources(out, kind).items())))


MUTATIONS = {
    "a variable the scheduler reads is dropped": (
        check_environment,
        lambda raw, out: _env(raw, "SchedulerFunction").pop("PROLINK_TASKS_QUEUE_URL"),
    ),
    "operator contacts set on the API": (
        check_environment,
        lambda raw, out: _env(raw, "ApiFunction").update({"PROLINK_OPERATOR_CONTACTS": "{}"}),
    ),
    "a function crate is not deployed": (
        check_functions,
        lambda raw, out: raw["Resources"].pop("ApiFunction"),
    ),
    "a function on another runtime": (
        check_functions,
        lambda raw, out: _first("AWS::Lambda::Function", out)[1]["Properties"].update({"Runtime": "provided.al2"}),
    ),
    "an alarm notifies nobody": (
        check_alarms,
        lambda raw, out: _first("AWS::CloudWatch::Alarm", out)[1]["Properties"].update({"AlarmActions": []}),
    ),
    "a function without a throttles alarm": (
        check_alarms,
        lambda raw, out: out["Resources"].pop("SchedulerThrottlesAlarm"),
    ),
    "an alarm on a metric the code never emits": (
        check_alarms,
        lambda raw, out: out["Resources"]["SlaBreachAlarm"]["Properties"].update({"MetricName": "SlaBreach"}),
    ),
    "a log group without retention": (
        check_log_groups,
        lambda raw, out: _first("AWS::Logs::LogGroup", out)[1]["Properties"].pop("RetentionInDays"),
    ),
    "a role with a wildcard resource": (
        check_roles,
        lambda raw, out: _first("AWS::IAM::Role", out)[1]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ].append({"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}),
    ),
    "the CloudFront CSP loosens a directive": (
        check_csp,
        lambda raw, out: _csp_set(raw, template_csp(raw).replace("object-src 'none'", "object-src 'self'")),
    ),
    "an index the adapters query is missing": (
        check_indexes,
        lambda raw, out: raw["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"].pop(),
    ),
    "samconfig overrides a parameter the template lost": (
        check_samconfig,
        lambda raw, out: raw["Parameters"].pop("ShowUnverified"),
    ),
    "the CloudFront CSP drops a directive": (
        check_csp,
        lambda raw, out: _csp_set(raw, template_csp(raw).replace("base-uri 'none';", "")),
    ),
}


def self_test(root, raw, out):
    """Names of the breakages their check did not notice (empty: all caught)."""
    missed = []
    for name, (check, breakage) in MUTATIONS.items():
        broken_raw, broken_out = copy.deepcopy(raw), copy.deepcopy(out)
        breakage(broken_raw, broken_out)
        if not check(Path(root), broken_raw, broken_out):
            missed.append(name)
    return missed
