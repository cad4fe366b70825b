"""One boto3 creation per CloudFormation resource type the functions use.

Each provisioner gets the resource's resolved properties and returns its attributes as
CloudFormation would expose them (`Ref` plus the `Fn::GetAtt` names). Properties are passed
to the API by their own names where the API shares them (checked against botocore's model of
the operation); the few that CloudFormation spells differently are mapped here, and a
property neither passes nor maps is reported, never silently dropped.
"""

import json

from stack import PARTITION


class Aws:
    """boto3 clients on the moto server."""

    def __init__(self, endpoint, region):
        import boto3

        self.region = region
        self.session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region
        )
        self.endpoint = endpoint
        self._clients = {}
        self.unused = []  # (logical id, property) the rehearsal could not pass on
        self.notes = []  # what was applied differently, and why

    def client(self, name):
        if name not in self._clients:
            self._clients[name] = self.session.client(name, endpoint_url=self.endpoint)
        return self._clients[name]


def api_members(client, operation):
    model = client.meta.service_model.operation_model(operation)
    return set(model.input_shape.members)


def split(aws, logical_id, client, operation, properties, renames=None, handled=()):
    """The properties the API operation takes by name (after `renames`); the rest not in
    `handled` are recorded as unused."""
    renames = renames or {}
    members = api_members(client, operation)
    args = {}
    for key, value in properties.items():
        name = renames.get(key, key)
        if name in members:
            args[name] = value
        elif key not in handled:
            aws.unused.append((logical_id, key))
    return args


def tags_list(tags):
    if isinstance(tags, dict):
        return [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in tags or []]


# ---------------------------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------------------------


def dynamodb_table(stack, aws, logical_id, p):
    ddb = aws.client("dynamodb")
    name = p.get("TableName") or stack.generated_name(logical_id, 255)
    handled = {
        "TableName",
        "TimeToLiveSpecification",
        "PointInTimeRecoverySpecification",
        "SSESpecification",
        "Tags",
    }
    args = split(aws, logical_id, ddb, "CreateTable", p, handled=handled)
    sse = p.get("SSESpecification")
    if sse:
        args["SSESpecification"] = {
            "Enabled": bool(sse.get("SSEEnabled")),
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
        }
    if p.get("Tags"):
        args["Tags"] = tags_list(p["Tags"])
    ddb.create_table(TableName=name, **args)
    ttl = p.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"],
                "Enabled": bool(ttl.get("Enabled")),
            },
        )
    pitr = p.get("PointInTimeRecoverySpecification")
    if pitr:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": bool(pitr.get("PointInTimeRecoveryEnabled"))
            },
        )
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    return {"Ref": name, "Arn": arn}


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------


def attribute_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def sqs_queue(stack, aws, logical_id, p):
    sqs = aws.client("sqs")
    name = p.get("QueueName")
    if not name:
        name = stack.generated_name(logical_id, 75) + (".fifo" if p.get("FifoQueue") else "")
    attributes = {
        key: attribute_text(value)
        for key, value in p.items()
        if key not in ("QueueName", "Tags")
    }
    if attributes.get("RedrivePolicy"):
        # CloudFormation takes maxReceiveCount as a number; the API as text inside the JSON.
        policy = json.loads(attributes["RedrivePolicy"])
        policy["maxReceiveCount"] = str(policy["maxReceiveCount"])
        attributes["RedrivePolicy"] = json.dumps(policy)
    kwargs = {"QueueName": name, "Attributes": attributes}
    if p.get("Tags"):
        kwargs["tags"] = {t["Key"]: str(t["Value"]) for t in tags_list(p["Tags"])}
    url = sqs.create_queue(**kwargs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


# ---------------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------------


def lifecycle_rule(rule):
    """CloudFormation's lifecycle rule shape -> the API's."""
    out = {"Status": rule["Status"]}
    if "Id" in rule:
        out["ID"] = rule["Id"]
    if "Prefix" in rule:
        out["Filter"] = {"Prefix": rule["Prefix"]}
    elif "TagFilters" not in rule:
        out["Filter"] = {"Prefix": ""}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(
                rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            )
        }
    return out


def encryption_rule(rule):
    """CloudFormation's ServerSideEncryptionByDefault is the API's
    ApplyServerSideEncryptionByDefault."""
    out = dict(rule)
    if "ServerSideEncryptionByDefault" in out:
        out["ApplyServerSideEncryptionByDefault"] = out.pop("ServerSideEncryptionByDefault")
    return out


def s3_bucket(stack, aws, logical_id, p):
    s3 = aws.client("s3")
    name = p.get("BucketName") or stack.generated_name(logical_id, 63, lower=True)
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws.region}
    )
    known = {"BucketName", "Tags"}
    if "BucketEncryption" in p:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    encryption_rule(r)
                    for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                ]
            },
        )
        known.add("BucketEncryption")
    if "PublicAccessBlockConfiguration" in p:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"]
        )
        known.add("PublicAccessBlockConfiguration")
    if "OwnershipControls" in p:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=p["OwnershipControls"])
        known.add("OwnershipControls")
    if "VersioningConfiguration" in p:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration=p["VersioningConfiguration"]
        )
        known.add("VersioningConfiguration")
    if "LifecycleConfiguration" in p:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [lifecycle_rule(r) for r in p["LifecycleConfiguration"]["Rules"]]
            },
        )
        known.add("LifecycleConfiguration")
    if p.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags_list(p["Tags"])})
    aws.unused.extend((logical_id, key) for key in p if key not in known)
    return {
        "Ref": name,
        "Arn": f"arn:{PARTITION}:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{aws.region}.amazonaws.com",
    }


def tls_only(statement):
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    return statement.get("Effect") == "Deny" and str(
        condition.get("aws:SecureTransport")
    ).lower() == "false"


def s3_bucket_policy(stack, aws, logical_id, p):
    document = dict(p["PolicyDocument"])
    statements = document.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    # moto enforces bucket policies, and its endpoint is plain HTTP: a TLS-only Deny would
    # refuse every request the functions make (on AWS the SDK speaks HTTPS). Left out, said.
    kept = [s for s in statements if not tls_only(s)]
    if len(kept) < len(statements):
        aws.notes.append(f"{logical_id}: TLS-only Deny left out (moto's endpoint is plain HTTP)")
    if kept:
        document["Statement"] = kept
        aws.client("s3").put_bucket_policy(Bucket=p["Bucket"], Policy=json.dumps(document))
    return {"Ref": f"{p['Bucket']}-policy"}


# ---------------------------------------------------------------------------------------------
# Secrets Manager
# ---------------------------------------------------------------------------------------------


def secret(stack, aws, logical_id, p):
    sm = aws.client("secretsmanager")
    name = p.get("Name") or stack.generated_name(logical_id, 256)
    kwargs = {"Name": name}
    if "Description" in p:
        kwargs["Description"] = p["Description"]
    if p.get("Tags"):
        kwargs["Tags"] = tags_list(p["Tags"])
    if "SecretString" in p:
        kwargs["SecretString"] = p["SecretString"]
    elif "GenerateSecretString" in p:
        # What CloudFormation does: a random password from the service, put under
        # GenerateStringKey into SecretStringTemplate.
        g = p["GenerateSecretString"]
        options = {
            k: g[k]
            for k in (
                "PasswordLength",
                "ExcludeCharacters",
                "ExcludeNumbers",
                "ExcludePunctuation",
                "ExcludeUppercase",
                "ExcludeLowercase",
                "IncludeSpace",
                "RequireEachIncludedType",
            )
            if k in g
        }
        password = sm.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in g:
            value = json.loads(g["SecretStringTemplate"])
            value[g["GenerateStringKey"]] = password
            kwargs["SecretString"] = json.dumps(value)
        else:
            kwargs["SecretString"] = password
    arn = sm.create_secret(**kwargs)["ARN"]
    return {"Ref": arn, "Id": arn}


# ---------------------------------------------------------------------------------------------
# Cognito
# ---------------------------------------------------------------------------------------------


def user_pool(stack, aws, logical_id, p):
    idp = aws.client("cognito-idp")
    p = dict(p)
    p.setdefault("UserPoolName", stack.generated_name(logical_id, 128))
    args = split(
        aws,
        logical_id,
        idp,
        "CreateUserPool",
        p,
        renames={"UserPoolName": "PoolName"},
        handled={"EnabledMfas"},
    )
    pool = idp.create_user_pool(**args)["UserPool"]
    if p.get("EnabledMfas") and "SOFTWARE_TOKEN_MFA" in p["EnabledMfas"]:
        idp.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=p.get("MfaConfiguration", "OPTIONAL"),
        )
    return {
        "Ref": pool["Id"],
        "Arn": pool["Arn"],
        "ProviderName": f"cognito-idp.{aws.region}.amazonaws.com/{pool['Id']}",
        "ProviderURL": f"https://cognito-idp.{aws.region}.amazonaws.com/{pool['Id']}",
        "UserPoolId": pool["Id"],
    }


def user_pool_client(stack, aws, logical_id, p):
    idp = aws.client("cognito-idp")
    p = dict(p)
    p.setdefault("ClientName", stack.generated_name(logical_id, 128))
    args = split(aws, logical_id, idp, "CreateUserPoolClient", p)
    client = idp.create_user_pool_client(**args)["UserPoolClient"]
    return {"Ref": client["ClientId"], "ClientId": client["ClientId"]}


def user_pool_group(stack, aws, logical_id, p):
    idp = aws.client("cognito-idp")
    args = split(aws, logical_id, idp, "CreateGroup", p)
    group = idp.create_group(**args)["Group"]
    return {"Ref": group["GroupName"]}


def user_pool_domain(stack, aws, logical_id, p):
    idp = aws.client("cognito-idp")
    args = split(aws, logical_id, idp, "CreateUserPoolDomain", p)
    idp.create_user_pool_domain(**args)
    return {"Ref": p["Domain"]}


PROVISIONERS = {
    "AWS::DynamoDB::Table": dynamodb_table,
    "AWS::SQS::Queue": sqs_queue,
    "AWS::S3::Bucket": s3_bucket,
    "AWS::S3::BucketPolicy": s3_bucket_policy,
    "AWS::SecretsManager::Secret": secret,
    "AWS::Cognito::UserPool": user_pool,
    "AWS::Cognito::UserPoolClient": user_pool_client,
    "AWS::Cognito::UserPoolGroup": user_pool_group,
    "AWS::Cognito::UserPoolDomain": user_pool_domain,
}

