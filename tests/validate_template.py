#!/usr/bin/env python3
"""Offline validation of the SAM template, without AWS credentials.

cfn-lint alone no longer expands the SAM transform, so it misses bad Runtime/Architectures
values and !GetAtt to missing resources. This script runs the transform itself with
aws-sam-translator (local CodeUri values replaced by an S3 placeholder, a policy loader that
needs no IAM call), then lints the CloudFormation it produced with cfn-lint.

Then it checks the template against the code (see template_checks.py beside this file):
every workspace function is deployed and vice versa, every environment variable a function's
wiring reads is set for it, every alarm notifies the alarm topic, every function and
dead-letter queue is watched, the business metrics the alarms read are ones the code emits,
and the dashboard's CSP on CloudFront equals the one `prolink serve` sends except for the
deliberate differences. `--self-test` also proves each check fails on a broken copy.

Exit status: 0 when the transform succeeds, cfn-lint reports no error and no warning that is
not explained in IGNORED_CFN_LINT_RULES, and every check passes; 1 otherwise.

Usage: validate_template.py [TEMPLATE] [--region REGION] [--keep-output PATH] [--self-test]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import template_checks  # noqa: E402 - beside this file

DEFAULT_REGION = "ap-southeast-3"
# cfn-lint rules ignored, each with the reason (an unexplained warning fails the run).
IGNORED_CFN_LINT_RULES = {}
PLACEHOLDER_URI = "s3://placeholder/code.zip"
# Properties that point at local files before `sam package` uploads them.
LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": ["CodeUri"],
    "AWS::Serverless::LayerVersion": ["ContentUri"],
    "AWS::Serverless::Api": ["DefinitionUri"],
    "AWS::Serverless::HttpApi": ["DefinitionUri"],
    "AWS::Serverless::StateMachine": ["DefinitionUri"],
    "AWS::Serverless::Application": ["Location"],
}


class NoIamPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists IAM policies through
    boto3. The template names managed policies by ARN only, so an empty map is enough."""

    def load(self):
        return {}


def is_local(value):
    return isinstance(value, str) and not value.startswith("s3://")


def replace_local_uris(template):
    """Returns the (resource, property) pairs replaced."""
    replaced = []
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    if is_local(globals_function.get("CodeUri")):
        globals_function["CodeUri"] = PLACEHOLDER_URI
        replaced.append(("Globals.Function", "CodeUri"))
    for name, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict):
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        for prop in LOCAL_URI_PROPERTIES.get(resource.get("Type"), []):
            if is_local(properties.get(prop)):
                properties[prop] = PLACEHOLDER_URI
                replaced.append((name, prop))
    return replaced


def raw_template(template_path):
    """The template as written (short tags as Fn:: mappings), before the SAM transform."""
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(Path(template_path).read_text(encoding="utf-8"))


def sam_transform(template_path, region):
    # The translator resolves AWS::Region / AWS::Partition from the default boto3 session.
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ.setdefault("AWS_REGION", region)
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    # yaml_parse understands the CloudFormation short tags (!Ref, !GetAtt, !Sub ...).
    template = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    if not isinstance(template, dict):
        raise ValueError(f"{template_path} is not a YAML mapping")
    replaced = replace_local_uris(template)
    try:
        output = transform(template, {}, NoIamPolicyLoader())
    except InvalidDocumentException as error:
        lines = [error.message] + [f"  - {cause.message}" for cause in error.causes]
        raise ValueError("\n".join(lines)) from error
    return output, replaced


def cfn_lint_command():
    beside_python = Path(sys.executable).parent / "cfn-lint"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("cfn-lint")
    if found:
        return [found]
    raise FileNotFoundError("cfn-lint not found (run template_tools_install)")


def run_cfn_lint(json_path, region):
    command = cfn_lint_command() + [
        "--regions",
        region,
        "--format",
        "parseable",
        "--non-zero-exit-code",
        "error",
        "--",
        str(json_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    errors = [line for line in findings if ":E" in line]
    warnings = [line for line in findings if line not in errors]
    if result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    return result.returncode, errors, warnings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default="template.yaml")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--keep-output", help="also write the transformed JSON here")
    parser.add_argument(
        "--self-test", action="store_true", help="also check that every check catches a breakage"
    )
    args = parser.parse_args(argv)

    try:
        output, replaced = sam_transform(args.template, args.region)
    except Exception as error:  # noqa: BLE001 - any failure here is a validation failure
        print(f"FAIL SAM transform of {args.template}:\n{error}", file=sys.stderr)
        return 1
    functions = sorted(
        name
        for name, resource in output.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Lambda::Function"
    )
    print(
        f"ok   SAM transform: {len(output.get('Resources', {}))} CloudFormation resources, "
        f"functions {', '.join(functions) or '(none)'}; placeholder code for "
        f"{', '.join(f'{r}.{p}' for r, p in replaced) or 'nothing'}"
    )

    with tempfile.TemporaryDirectory(prefix="prolink-template-") as tmp:
        json_path = Path(tmp) / "template.transformed.json"
        json_path.write_text(json.dumps(output, indent=2, sort_keys=True), encoding="utf-8")
        if args.keep_output:
            shutil.copyfile(json_path, args.keep_output)
        try:
            code, errors, warnings = run_cfn_lint(json_path, args.region)
        except FileNotFoundError as error:
            print(f"FAIL {error}", file=sys.stderr)
            return 1

    unexplained = [
        line for line in warnings if not any(f":{rule}:" in line for rule in IGNORED_CFN_LINT_RULES)
    ]
    for line in warnings:
        print(f"warn {line}")
    for line in errors:
        print(f"FAIL {line}", file=sys.stderr)
    if code != 0 or errors or unexplained:
        print(
            f"FAIL cfn-lint: {len(errors)} error(s), {len(unexplained)} unexplained warning(s), "
            f"exit {code}",
            file=sys.stderr,
        )
        return 1
    print(f"ok   cfn-lint ({args.region}): 0 errors, 0 unexplained warnings")

    root = Path(args.template).resolve().parent
    failures = template_checks.run_all(root, raw_template(args.template), output)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"ok   template vs code: {len(template_checks.CHECKS)} checks")
    if args.self_test:
        missed = template_checks.self_test(root, raw_template(args.template), output)
        for name in missed:
            print(f"FAIL self-test: {name} did not notice its breakage", file=sys.stderr)
        if missed:
            return 1
        print(f"ok   self-test: every check fails on a broken copy ({len(template_checks.MUTATIONS)} breakages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
