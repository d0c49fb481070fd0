"""API Gateway gap: an ``AWS::ApiGateway::Method`` resource as CloudFormation creates it.

moto's model requires ``Integration.Uri`` and ``IntegrationHttpMethod`` (a ``MOCK`` integration has
neither) and drops everything else of the integration: its credentials, request templates,
passthrough behavior, integration responses and the method responses. The local API routes a REST API
built from explicit Resource/Method resources from what API Gateway holds (see
``orderflow/runtime/api_routes.py``), so all of it is put through moto's own API Gateway backend here
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html).
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Method, apigateway_backends

from .registry import REGISTRY, Patch, Patcher


def _method_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
) -> Any:
    props = cloudformation_json["Properties"]
    backend = apigateway_backends[account_id][region_name]
    api_id, resource_id, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"].upper()
    method = backend.put_method(
        function_id=api_id,
        resource_id=resource_id,
        method_type=verb,
        authorization_type=props.get("AuthorizationType", "NONE"),
        api_key_required=props.get("ApiKeyRequired"),
        request_parameters=props.get("RequestParameters"),
        request_models=props.get("RequestModels"),
        operation_name=props.get("OperationName"),
        authorizer_id=props.get("AuthorizerId"),
        authorization_scopes=props.get("AuthorizationScopes"),
        request_validator_id=props.get("RequestValidatorId"),
    )
    for response in props.get("MethodResponses") or []:
        backend.put_method_response(
            api_id,
            resource_id,
            verb,
            str(response["StatusCode"]),
            response.get("ResponseModels"),
            response.get("ResponseParameters"),
        )
    integration = props.get("Integration")
    if integration:
        backend.put_integration(
            function_id=api_id,
            resource_id=resource_id,
            method_type=verb,
            integration_type=integration["Type"],
            uri=integration.get("Uri", ""),
            integration_method=integration.get("IntegrationHttpMethod", ""),
            credentials=integration.get("Credentials"),
            request_templates=integration.get("RequestTemplates"),
            passthrough_behavior=integration.get("PassthroughBehavior"),
            timeout_in_millis=integration.get("TimeoutInMillis"),
            request_parameters=integration.get("RequestParameters"),
            content_handling=integration.get("ContentHandling"),
        )
        for response in integration.get("IntegrationResponses") or []:
            backend.put_integration_response(
                function_id=api_id,
                resource_id=resource_id,
                method_type=verb,
                status_code=str(response["StatusCode"]),
                selection_pattern=response.get("SelectionPattern", ""),
                response_templates=response.get("ResponseTemplates") or {},
                response_parameters=response.get("ResponseParameters") or {},
                content_handling=response.get("ContentHandling"),
            )
    return method


def _apply_method(patcher: Patcher) -> None:
    patcher.replace(Method, "create_from_cloudformation_json", classmethod(_method_from_cfn))


APIGATEWAY_METHOD_CFN = REGISTRY.register(
    Patch(
        "apigateway_method_cfn",
        "gap",
        "AWS::ApiGateway::Method requires Integration.Uri and IntegrationHttpMethod (a MOCK integration "
        "fails) and drops the integration's credentials, request templates, integration responses and "
        "the method responses; here all of it goes through moto's API Gateway backend",
        _apply_method,
    )
)
