#!/usr/bin/env python3
"""Offline tests of the deploy helpers (infra/dashboard/deploy.sh, infra/create-admin.sh):
each runs against a stand-in `aws` command on PATH that answers `describe-stacks` from a
stack description shaped like the real one (the output keys template.yaml declares) and
records every other call, so no test reaches AWS.

Usage: deploy_scripts_test.py   (exit 0 when every test passes)
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "infra/dashboard/deploy.sh"
CREATE_ADMIN = ROOT / "infra/create-admin.sh"

STACK_OUTPUTS = {
    "WebhookUrl": "https://abc123.execute-api.ap-southeast-3.amazonaws.com/webhook",
    "ApiUrl": "https://api456.execute-api.ap-southeast-3.amazonaws.com",
    "OperatorApiUrl": "https://api456.execute-api.ap-southeast-3.amazonaws.com/api",
    "CognitoDomain": "prolink-staging-123456789012.auth.ap-southeast-3.amazoncognito.com",
    "UserPoolId": "ap-southeast-3_AbCdEf123",
    "UserPoolClientId": "4h5j6k7l8m9n0p1q2r3s4t5u6v",
    "DashboardBucketName": "prolink-sakti-staging-dashboardbucket-1a2b3c",
    "DashboardDistributionId": "E2QWRUHAPOMQZL",
    "DashboardUrl": "https://d111111abcdef8.cloudfront.net/",
    "SecretArn": "arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:WhatsAppSecret-x1",
}

# The stand-in: answers the two describe-stacks queries the scripts make (JMESPath applied
# to the stack description by hand) and logs every call as a JSON line.
FAKE_AWS = r'''#!/usr/bin/env python3
import json, os, sys, shutil
args = sys.argv[1:]
log = os.environ["FAKE_AWS_LOG"]
with open(log, "a") as f:
    f.write(json.dumps(args) + "\n")
def opt(name):
    return args[args.index(name) + 1] if name in args else None
if args[:2] == ["cloudformation", "describe-stacks"]:
    stack = json.load(open(os.environ["FAKE_AWS_STACKS"]))
    if opt("--stack-name") not in [s["StackName"] for s in stack["Stacks"]]:
        print("An error occurred (ValidationError): Stack does not exist", file=sys.stderr)
        sys.exit(254)
    s = stack["Stacks"][0]
    query = opt("--query")
    if query == "Stacks[0].Outputs[].[OutputKey,OutputValue]":
        for o in s["Outputs"]:
            print(o["OutputKey"] + "\t" + o["OutputValue"])
    elif query == "Stacks[0].Parameters[].[ParameterKey,ParameterValue]":
        for p in s["Parameters"]:
            print(p["ParameterKey"] + "\t" + p["ParameterValue"])
    elif query.startswith("Stacks[0].Outputs[?OutputKey=='"):
        key = query.split("'")[1]
        print(next((o["OutputValue"] for o in s["Outputs"] if o["OutputKey"] == key), "None"))
    else:
        print("unexpected query " + query, file=sys.stderr)
        sys.exit(2)
elif args[:2] == ["s3", "cp"]:
    # Keep a copy of what was uploaded, by key.
    source, target = args[2], args[3]
    key = target.split("/", 3)[3]
    dest = os.path.join(os.environ["FAKE_AWS_UPLOADS"], key)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(source, dest)
elif args[:2] == ["cloudfront", "create-invalidation"]:
    print("I2J0I21PCUYOIK")
elif args[0] == "cognito-idp":
    if os.environ.get("FAKE_AWS_USER_EXISTS") and args[1] == "admin-create-user" and "--message-action" not in args:
        print("An error occurred (UsernameExistsException): User account already exists", file=sys.stderr)
        sys.exit(254)
    print("{}")
else:
    print("unexpected call " + " ".join(args), file=sys.stderr)
    sys.exit(2)
'''


def site_files():
    """(path, content type) of the files prolink serve embeds."""
    import re

    text = (ROOT / "shared/embedded/src/dashboard.rs").read_text(encoding="utf-8")
    return re.findall(r'^\s*"([^"]+)" => "([^"]+)",\s*$', text, re.M)


class FakeAws:
    def __init__(self, test, outputs=None, origin="https://d111111abcdef8.cloudfront.net"):
        self.dir = Path(tempfile.mkdtemp(prefix="prolink-fake-aws-"))
        test.addCleanup(lambda: subprocess.run(["rm", "-rf", str(self.dir)], check=False))
        (self.dir / "bin").mkdir()
        aws = self.dir / "bin/aws"
        aws.write_text(FAKE_AWS.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
        aws.chmod(0o755)
        outputs = STACK_OUTPUTS if outputs is None else outputs
        stacks = {
            "Stacks": [
                {
                    "StackName": "prolink-sakti-staging",
                    "Outputs": [{"OutputKey": k, "OutputValue": v, "Description": "d"} for k, v in outputs.items()],
                    "Parameters": [
                        {"ParameterKey": "DashboardOrigin", "ParameterValue": origin},
                        {"ParameterKey": "Stage", "ParameterValue": "staging"},
                    ],
                }
            ]
        }
        (self.dir / "stacks.json").write_text(json.dumps(stacks))
        (self.dir / "uploads").mkdir()
        self.env = {
            **os.environ,
            "PATH": f"{self.dir / 'bin'}:{os.environ['PATH']}",
            "FAKE_AWS_LOG": str(self.dir / "calls.jsonl"),
            "FAKE_AWS_STACKS": str(self.dir / "stacks.json"),
            "FAKE_AWS_UPLOADS": str(self.dir / "uploads"),
            "AWS_REGION": "ap-southeast-3",
        }

    def run(self, script, *args, **env):
        return subprocess.run(
            ["bash", str(script), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def calls(self):
        path = self.dir / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def option(call, name):
    return call[call.index(name) + 1] if name in call else None


class DeployDashboard(unittest.TestCase):
    def test_uploads_every_site_file_with_its_type_then_config_then_index_and_invalidates(self):
        aws = FakeAws(self)
        result = aws.run(DEPLOY, "--stack", "prolink-sakti-staging", "--region", "ap-southeast-3")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("warning", result.stderr)
        uploads = [c for c in aws.calls() if c[:2] == ["s3", "cp"]]
        keys = [c[3].split("/", 3)[3] for c in uploads]
        expected = dict(site_files())
        self.assertEqual(sorted(keys), sorted([*expected, "config.json"]))
        # index.html last, config.json just before it.
        self.assertEqual(keys[-2:], ["config.json", "index.html"])
        for call in uploads:
            key = call[3].split("/", 3)[3]
            self.assertTrue(call[3].startswith(f"s3://{STACK_OUTPUTS['DashboardBucketName']}/"), call)
            self.assertEqual(option(call, "--region"), "ap-southeast-3")
            want = "application/json; charset=utf-8" if key == "config.json" else expected[key]
            self.assertEqual(option(call, "--content-type"), want, key)
            cache = option(call, "--cache-control")
            self.assertEqual(cache, "public, max-age=86400" if key == "favicon.svg" else "no-cache", key)
            if key != "config.json":
                self.assertEqual(
                    (aws.dir / "uploads" / key).read_bytes(), (ROOT / "infra/dashboard" / key).read_bytes()
                )
        config = json.loads((aws.dir / "uploads/config.json").read_text())
        self.assertEqual(
            config,
            {
                "mode": "cognito",
                "api_base_url": STACK_OUTPUTS["ApiUrl"],
                "cognito_domain": STACK_OUTPUTS["CognitoDomain"],
                "client_id": STACK_OUTPUTS["UserPoolClientId"],
            },
        )
        invalidations = [c for c in aws.calls() if c[:2] == ["cloudfront", "create-invalidation"]]
        self.assertEqual(len(invalidations), 1)
        self.assertEqual(option(invalidations[0], "--distribution-id"), STACK_OUTPUTS["DashboardDistributionId"])
        self.assertEqual(option(invalidations[0], "--paths"), "/*")
        self.assertIn("I2J0I21PCUYOIK", result.stdout)

    def test_dry_run_changes_nothing(self):
        aws = FakeAws(self)
        result = aws.run(DEPLOY, "--stack", "prolink-sakti-staging", "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"api_base_url":"https://api456.execute-api', result.stdout)
        self.assertEqual([c[:2] for c in aws.calls() if c[0] != "cloudformation"], [])

    def test_warns_when_sign_in_would_go_elsewhere(self):
        aws = FakeAws(self, origin="http://localhost:8080")
        result = aws.run(DEPLOY, "--stack", "prolink-sakti-staging", "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("DashboardOrigin=https://d111111abcdef8.cloudfront.net", result.stderr)

    def test_a_stack_without_the_outputs_is_refused_before_any_upload(self):
        outputs = {k: v for k, v in STACK_OUTPUTS.items() if k != "ApiUrl"}
        aws = FakeAws(self, outputs=outputs)
        result = aws.run(DEPLOY, "--stack", "prolink-sakti-staging")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no output ApiUrl", result.stderr)
        self.assertFalse([c for c in aws.calls() if c[0] != "cloudformation"])

    def test_an_unknown_stack_fails(self):
        aws = FakeAws(self)
        result = aws.run(DEPLOY, "--stack", "nope")
        self.assertNotEqual(result.returncode, 0)
        self.assertFalse([c for c in aws.calls() if c[0] != "cloudformation"])

    def test_the_first_version_positional_arguments_still_work(self):
        aws = FakeAws(self)
        result = aws.run(DEPLOY, "prolink-sakti-staging", "ap-southeast-3", "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        describe = [c for c in aws.calls() if c[0] == "cloudformation"]
        self.assertTrue(describe)
        self.assertTrue(all(option(c, "--stack-name") == "prolink-sakti-staging" for c in describe))
        self.assertTrue(all(option(c, "--region") == "ap-southeast-3" for c in describe))

    def test_usage_without_a_stack(self):
        result = FakeAws(self).run(DEPLOY)
        self.assertEqual(result.returncode, 2)
        self.assertIn("usage", result.stderr)


class CreateAdmin(unittest.TestCase):
    def test_creates_the_user_with_its_email_in_the_admin_group(self):
        aws = FakeAws(self)
        result = aws.run(
            CREATE_ADMIN, "--stack", "prolink-sakti-staging", "--email", "Budi.Santoso+ops@probolinggokota.go.id"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        cognito = [c for c in aws.calls() if c[0] == "cognito-idp"]
        self.assertEqual([c[1] for c in cognito], ["admin-create-user", "admin-add-user-to-group"])
        create, group = cognito
        self.assertEqual(option(create, "--user-pool-id"), STACK_OUTPUTS["UserPoolId"])
        self.assertEqual(option(create, "--username"), "budi.santoso-ops")
        self.assertIn("Name=email,Value=Budi.Santoso+ops@probolinggokota.go.id", create)
        self.assertIn("Name=email_verified,Value=true", create)
        self.assertEqual(option(create, "--desired-delivery-mediums"), "EMAIL")
        self.assertNotIn("--temporary-password", create, "Cognito generates and e-mails it")
        self.assertEqual(option(group, "--group-name"), "admin")
        self.assertEqual(option(group, "--username"), "budi.santoso-ops")

    def test_roles_and_names_are_checked_before_any_call(self):
        aws = FakeAws(self)
        for args, message in [
            (["--email", "not-an-address"], "not an e-mail"),
            (["--email", "a@b.id", "--role", "opd"], "Pengguna"),
            (["--email", "a@b.id", "--role", "root"], "role must be"),
            (["--email", "a@b.id"], "must be 3 to 64"),
            (["--email", "ok@b.id", "--username", "Has Space"], "must be 3 to 64"),
        ]:
            result = aws.run(CREATE_ADMIN, "--stack", "prolink-sakti-staging", *args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertIn(message, result.stderr)
        self.assertEqual(aws.calls(), [])

    def test_an_existing_user_fails_and_resend_mails_again(self):
        aws = FakeAws(self)
        result = aws.run(
            CREATE_ADMIN, "--stack", "prolink-sakti-staging", "--email", "admin@kota.go.id", FAKE_AWS_USER_EXISTS="1"
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("admin-add-user-to-group", [c[1] for c in aws.calls() if c[0] == "cognito-idp"])
        result = aws.run(
            CREATE_ADMIN, "--stack", "prolink-sakti-staging", "--email", "admin@kota.go.id", "--resend"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        last = aws.calls()[-1]
        self.assertEqual(last[1], "admin-create-user")
        self.assertEqual(option(last, "--message-action"), "RESEND")

    def test_dry_run_prints_the_calls(self):
        aws = FakeAws(self)
        result = aws.run(
            CREATE_ADMIN, "--stack", "prolink-sakti-staging", "--email", "admin@kota.go.id", "--dry-run"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        printed = [shlex.split(line) for line in result.stdout.splitlines() if line.startswith("aws ")]
        self.assertEqual([p[2] for p in printed], ["admin-create-user", "admin-add-user-to-group"])
        self.assertEqual([c[0] for c in aws.calls()], ["cloudformation"])


class ScriptSyntax(unittest.TestCase):
    def test_scripts_parse_and_pass_shellcheck_when_installed(self):
        import shutil

        for script in (DEPLOY, CREATE_ADMIN):
            parsed = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
            self.assertEqual(parsed.returncode, 0, parsed.stderr)
            if shutil.which("shellcheck"):
                checked = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, check=False)
                self.assertEqual(checked.returncode, 0, checked.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=1)
