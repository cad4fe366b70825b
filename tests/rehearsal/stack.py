"""The stack as CloudFormation would create it, on the moto server.

template.yaml goes through the SAM transform offline (aws-sam-translator, as
`tests/validate_template.py` runs it), then every resource of a type the functions use is
created with boto3 from its own properties, in dependency order; intrinsic functions (Ref,
Fn::GetAtt, Fn::Sub, Fn::If, Fn::Join, Fn::Select, conditions) are resolved against the
parameters given and the resources created. Nothing about a table, index, queue or bucket is
written here: change the template and the rehearsal creates what it says.

Types the functions do not touch (roles, log groups, alarms, CloudFront, API Gateway itself)
are not created; a function whose environment needs one of them fails the rehearsal.
"""

import re
import zlib
import sys
from pathlib import Path

ACCOUNT = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

# What Lambda itself creates from the transformed template: read by the runtime stand-ins,
# not created on moto.
LAMBDA_TYPES = {
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
    "AWS::Events::Rule",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
}


class RehearsalError(Exception):
    pass


def sam_transform(template_path, region):
    """The CloudFormation template SAM would deploy (local CodeUri replaced by a placeholder)."""
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    import validate_template  # tests/validate_template.py: one transform for both steps

    output, _ = validate_template.sam_transform(str(template_path), region)
    return output


class Unresolvable(Exception):
    """A reference to something the rehearsal did not create (or no value)."""


class NoValue:
    pass


NO_VALUE = NoValue()


class Stack:
    def __init__(self, template, parameters, region, stack_name):
        self.template = template
        self.region = region
        self.stack_name = stack_name
        self.resources = template.get("Resources", {})
        self.parameters = self._parameters(parameters)
        self.conditions = {}
        # logical id -> {"Ref": ..., attribute: ...}
        self.physical = {}
        self.created = []  # (logical id, type, physical ref) in creation order
        self.skipped = []  # (logical id, type)
        self.allow_placeholders = False
        self.placeholders = set()

    # -------------------------------------------------------------------------------------
    # Parameters and conditions
    # -------------------------------------------------------------------------------------

    def _parameters(self, given):
        values = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            if name in given:
                value = str(given[name])
            elif "Default" in spec:
                value = str(spec["Default"])
            else:
                raise RehearsalError(f"parameter {name} has no default and was not given")
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(v) for v in allowed]:
                raise RehearsalError(f"parameter {name}={value!r} not in {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and not re.fullmatch(pattern, value):
                raise RehearsalError(f"parameter {name}={value!r} does not match {pattern}")
            values[name] = value
        unknown = set(given) - set(values)
        if unknown:
            raise RehearsalError(f"parameters not in the template: {sorted(unknown)}")
        return values

    def condition(self, name):
        if name not in self.conditions:
            spec = (self.template.get("Conditions") or {}).get(name)
            if spec is None:
                raise RehearsalError(f"unknown condition {name}")
            self.conditions[name] = bool(self._condition_value(spec))
        return self.conditions[name]

    def _condition_value(self, spec):
        if isinstance(spec, dict) and len(spec) == 1:
            (key, arg), = spec.items()
            if key == "Fn::Equals":
                return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
            if key == "Fn::Not":
                return not self._condition_value(arg[0])
            if key == "Fn::And":
                return all(self._condition_value(a) for a in arg)
            if key == "Fn::Or":
                return any(self._condition_value(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
        raise RehearsalError(f"condition not understood: {spec!r}")

    # -------------------------------------------------------------------------------------
    # Intrinsic functions
    # -------------------------------------------------------------------------------------

    def pseudo(self, name):
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{ACCOUNT}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
        }.get(name)

    def ref(self, name):
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self.pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        return self._placeholder(name, "Ref")

    def get_att(self, name, attribute):
        attrs = self.physical.get(name)
        if attrs is None or attribute not in attrs:
            return self._placeholder(name, attribute)
        return attrs[attribute]

    def _placeholder(self, name, attribute):
        """After creation, a reference to a resource that is not stood in (a CloudFront
        domain, an SNS topic) gets a recognisable dummy, reported, so a function's
        environment naming one still starts; before, it cannot be resolved."""
        if not self.allow_placeholders or name not in dict(self.skipped):
            raise Unresolvable(f"{'Ref' if attribute == 'Ref' else 'GetAtt'} {name}"
                               + ("" if attribute == "Ref" else f".{attribute}"))
        value = f"rehearsal-placeholder-{name}-{attribute}".lower()
        self.placeholders.add(f"{name}.{attribute}")
        return value

    def resolve(self, value):
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                chosen = arg[1] if self.condition(arg[0]) else arg[2]
                return self.resolve(chosen)
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
                return self._condition_value(value)
        out = {}
        for k, v in value.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def _sub(self, arg):
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def one(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                resource, attribute = name.split(".", 1)
                return str(self.get_att(resource, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    # -------------------------------------------------------------------------------------
    # Resources
    # -------------------------------------------------------------------------------------

    def active(self, logical_id):
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def dependencies(self, logical_id):
        found = set()

        def walk(value):
            if isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, dict):
                for key, arg in value.items():
                    if key == "Ref" and isinstance(arg, str) and arg in self.resources:
                        found.add(arg)
                    elif key == "Fn::GetAtt":
                        name = arg[0] if isinstance(arg, list) else arg.split(".", 1)[0]
                        found.add(name)
                    elif key == "Fn::Sub":
                        text = arg[0] if isinstance(arg, list) else arg
                        for name in re.findall(r"\$\{([^}!]+)\}", text):
                            name = name.split(".", 1)[0]
                            if name in self.resources:
                                found.add(name)
                        walk(arg)
                    else:
                        walk(arg)

        resource = self.resources[logical_id]
        walk(resource.get("Properties", {}))
        depends = resource.get("DependsOn", [])
        found.update([depends] if isinstance(depends, str) else depends)
        found.discard(logical_id)
        return found

    def generated_name(self, logical_id, max_len=80, lower=False):
        # CloudFormation's pattern: <stack>-<logical id>-<random suffix>.
        name = f"{self.stack_name}-{logical_id}-{zlib.crc32(logical_id.encode()):08x}"
        name = name[:max_len]
        return name.lower() if lower else name

    def create_all(self, aws):
        from provision import PROVISIONERS

        order = self._order()
        for logical_id in order:
            resource = self.resources[logical_id]
            kind = resource.get("Type")
            if kind in LAMBDA_TYPES:
                continue
            create = PROVISIONERS.get(kind)
            if create is None or not self.active(logical_id):
                self.skipped.append((logical_id, kind))
                continue
            missing = sorted(
                d for d in self.dependencies(logical_id) if d in dict(self.skipped)
            )
            if missing:
                # A policy naming the CloudFront distribution, say: not created either.
                self.skipped.append((logical_id, f"{kind}, needs {', '.join(missing)}"))
                continue
            try:
                properties = self.resolve(resource.get("Properties", {}))
            except Unresolvable as error:
                raise RehearsalError(f"{logical_id} ({kind}): cannot resolve {error}") from error
            attrs = create(self, aws, logical_id, properties)
            self.physical[logical_id] = attrs
            self.created.append((logical_id, kind, attrs["Ref"]))

    def _order(self):
        order, state = [], {}

        def visit(name, path):
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise RehearsalError(f"dependency cycle: {' -> '.join(path + [name])}")
            state[name] = "visiting"
            for dep in sorted(self.dependencies(name)):
                if dep in self.resources:
                    visit(dep, path + [name])
            state[name] = "done"
            order.append(name)

        for name in self.resources:
            visit(name, [])
        return order

    def of_type(self, kind):
        return {
            name: r for name, r in self.resources.items() if r.get("Type") == kind and self.active(name)
        }

