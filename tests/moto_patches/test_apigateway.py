"""apigateway_method_cfn (runtime/moto/apigateway.py): an AWS::ApiGateway::Method keeps its whole
integration, and a MOCK one is created at all.

The gap test is a strict xfail on plain moto, the patched test runs the same check with the patch on
(the pattern: tests/moto_patches/support.py).
"""

from __future__ import annotations

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import ACCOUNT, REGION, client, create_stack, gap, stack_resources

TEMPLATE = {
    "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
        "Start": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "HttpMethod": "POST",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "AWS",
                    "IntegrationHttpMethod": "POST",
                    "Uri": f"arn:aws:apigateway:{REGION}:states:action/StartExecution",
                    "Credentials": f"arn:aws:iam::{ACCOUNT}:role/api",
                    "RequestTemplates": {
                        "application/json": '{"input": "$util.escapeJavaScript($input.body)"}'
                    },
                    "IntegrationResponses": [
                        {"StatusCode": "200"},
                        {"StatusCode": "400", "SelectionPattern": "4\\d{2}"},
                    ],
                },
                "MethodResponses": [{"StatusCode": "200"}, {"StatusCode": "400"}],
            },
        },
        "Ping": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "HttpMethod": "GET",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                },
            },
        },
    }
}


def check_apigateway_method_cfn() -> None:
    stack = create_stack(TEMPLATE)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"]
    api_id = stack_resources()["Api"]["PhysicalResourceId"]
    apigateway = client("apigateway")
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    start = apigateway.get_method(restApiId=api_id, resourceId=root, httpMethod="POST")
    integration = start["methodIntegration"]
    assert integration["requestTemplates"] == {
        "application/json": '{"input": "$util.escapeJavaScript($input.body)"}'
    }
    assert integration["credentials"] == f"arn:aws:iam::{ACCOUNT}:role/api"
    responses = integration["integrationResponses"]
    assert responses["400"]["selectionPattern"] == "4\\d{2}"
    assert set(start["methodResponses"]) == {"200", "400"}
    ping = apigateway.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert ping["methodIntegration"]["type"] == "MOCK"


@gap("apigateway_method_cfn")
def test_apigateway_method_cfn_gap_in_plain_moto(moto_aws: None) -> None:
    check_apigateway_method_cfn()


def test_apigateway_method_cfn_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("apigateway_method_cfn"):
        check_apigateway_method_cfn()
