"""CloudFormation: stacks, resources, events, template validation and drift detection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from awskit.errors import InvalidInputError, ResourceNotFoundError
from awskit.services.base import ServiceFacade

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.type_defs import (
        StackEventTypeDef,
        StackResourceDriftTypeDef,
        StackResourceSummaryTypeDef,
        StackSummaryTypeDef,
        StackTypeDef,
    )


@dataclass(frozen=True)
class DriftDetectionStatus:
    """One DescribeStackDriftDetectionStatus answer.

    `detection_status` says whether the detection RUN finished (DETECTION_IN_PROGRESS /
    DETECTION_COMPLETE / DETECTION_FAILED); `drift_status` says what it found about the STACK
    (DRIFTED / IN_SYNC / NOT_CHECKED / UNKNOWN). The seed conflated the two; they are apart here.
    """

    detection_id: str
    stack_id: str
    detection_status: str
    drift_status: str | None
    status_reason: str | None
    drifted_resource_count: int | None
    timestamp: datetime | None

    @property
    def in_progress(self) -> bool:
        return self.detection_status == "DETECTION_IN_PROGRESS"


class CloudFormationService(ServiceFacade):
    service_name = "cloudformation"

    # --- stacks ---------------------------------------------------------------------------------

    def get_stack(self, stack_name: str) -> StackTypeDef | None:
        """The stack, or None when it does not exist."""
        try:
            with self._translated("DescribeStacks", stack_name):
                stacks = self.client.describe_stacks(StackName=stack_name)["Stacks"]
        except (ResourceNotFoundError, InvalidInputError):
            # CloudFormation answers a missing stack with the code ValidationError (there is no
            # StackNotFound code); for DescribeStacks on one name that code means "no such stack".
            return None
        return stacks[0] if stacks else None

    def stack_exists(self, stack_name: str) -> bool:
        return self.get_stack(stack_name) is not None

    def describe_stacks(self) -> Iterator[StackTypeDef]:
        return self._paginate("describe_stacks", "Stacks")

    def list_stacks(self, status_filter: Sequence[str] = ()) -> Iterator[StackSummaryTypeDef]:
        params: dict[str, Any] = {"StackStatusFilter": list(status_filter)} if status_filter else {}
        return self._paginate("list_stacks", "StackSummaries", **params)

    def update_stack(
        self,
        stack_name: str,
        *,
        template_body: str | None = None,
        template_url: str | None = None,
        use_previous_template: bool = False,
        parameters: Sequence[dict[str, Any]] = (),
        capabilities: Sequence[str] = (),
        tags: Sequence[dict[str, str]] | None = None,
    ) -> str:
        """Start an update; returns the stack id."""
        params: dict[str, Any] = {"StackName": stack_name}
        sources = [template_body is not None, template_url is not None, use_previous_template]
        if sum(sources) != 1:
            raise InvalidInputError(
                "give exactly one of template_body, template_url, use_previous_template",
                context=self._context("UpdateStack", stack_name),
            )
        if template_body is not None:
            params["TemplateBody"] = template_body
        if template_url is not None:
            params["TemplateURL"] = template_url
        if use_previous_template:
            params["UsePreviousTemplate"] = True
        if parameters:
            params["Parameters"] = list(parameters)
        if capabilities:
            params["Capabilities"] = list(capabilities)
        if tags is not None:
            params["Tags"] = list(tags)
        with self._translated("UpdateStack", stack_name):
            return str(self.client.update_stack(**params)["StackId"])

    def get_stack_resources(self, stack_name: str) -> Iterator[StackResourceSummaryTypeDef]:
        return self._paginate(
            "list_stack_resources", "StackResourceSummaries", StackName=stack_name
        )

    def get_stack_events(
        self, stack_name: str, limit: int | None = None
    ) -> Iterator[StackEventTypeDef]:
        """Newest first; stops after `limit` events without fetching further pages."""
        events = self._paginate("describe_stack_events", "StackEvents", StackName=stack_name)
        for count, event in enumerate(events):
            if limit is not None and count >= limit:
                return
            yield event

    def validate_template(
        self, *, template_body: str | None = None, template_url: str | None = None
    ) -> dict[str, Any]:
        if (template_body is None) == (template_url is None):
            raise InvalidInputError("give exactly one of template_body or template_url")
        params = {"TemplateBody": template_body} if template_body else {"TemplateURL": template_url}
        with self._translated("ValidateTemplate"):
            response = self.client.validate_template(**params)
        response.pop("ResponseMetadata", None)
        return dict(response)

    # --- drift ----------------------------------------------------------------------------------

    def detect_stack_drift(self, stack_name: str, logical_resource_ids: Sequence[str] = ()) -> str:
        """Start a drift detection; returns its detection id (the run is asynchronous)."""
        params: dict[str, Any] = {"StackName": stack_name}
        if logical_resource_ids:
            params["LogicalResourceIds"] = list(logical_resource_ids)
        with self._translated("DetectStackDrift", stack_name):
            return str(self.client.detect_stack_drift(**params)["StackDriftDetectionId"])

    def describe_drift_detection_status(self, detection_id: str) -> DriftDetectionStatus:
        with self._translated("DescribeStackDriftDetectionStatus", detection_id):
            response = self.client.describe_stack_drift_detection_status(
                StackDriftDetectionId=detection_id
            )
        return DriftDetectionStatus(
            detection_id=response["StackDriftDetectionId"],
            stack_id=response["StackId"],
            detection_status=response["DetectionStatus"],
            drift_status=response.get("StackDriftStatus"),
            status_reason=response.get("DetectionStatusReason"),
            drifted_resource_count=response.get("DriftedStackResourceCount"),
            timestamp=response.get("Timestamp"),
        )

    def describe_stack_resource_drifts(
        self, stack_name: str, status_filters: Sequence[str] = ()
    ) -> Iterator[StackResourceDriftTypeDef]:
        params: dict[str, Any] = {"StackName": stack_name}
        if status_filters:
            params["StackResourceDriftStatusFilters"] = list(status_filters)
        return self._paginate("describe_stack_resource_drifts", "StackResourceDrifts", **params)

    def resource_drifts_page(
        self, stack_name: str, next_token: str | None = None, max_results: int = 100
    ) -> tuple[list[StackResourceDriftTypeDef], str | None]:
        """One page of resource drifts and the token of the next (None on the last page), for
        callers that pace each call themselves."""
        params: dict[str, Any] = {"StackName": stack_name, "MaxResults": max_results}
        if next_token:
            params["NextToken"] = next_token
        with self._translated("DescribeStackResourceDrifts", stack_name):
            response = self.client.describe_stack_resource_drifts(**params)
        return list(response["StackResourceDrifts"]), response.get("NextToken")

    def detect_stack_resource_drift(
        self, stack_name: str, logical_resource_id: str
    ) -> StackResourceDriftTypeDef:
        with self._translated("DetectStackResourceDrift", f"{stack_name}/{logical_resource_id}"):
            response = self.client.detect_stack_resource_drift(
                StackName=stack_name, LogicalResourceId=logical_resource_id
            )
        drift: StackResourceDriftTypeDef = response["StackResourceDrift"]
        return drift
