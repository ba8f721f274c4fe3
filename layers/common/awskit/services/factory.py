"""One place that hands out service facades for a client manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from awskit.services.awslambda import LambdaService
from awskit.services.cloudformation import CloudFormationService
from awskit.services.dynamodb import DynamoDBService
from awskit.services.iam import IamService
from awskit.services.logs import LogsService
from awskit.services.s3 import S3Service

if TYPE_CHECKING:
    from awskit.clients import AWSClientManager


class ServiceFactory:
    """Facades over `manager`'s cached clients; `region` defaults to the manager's."""

    def __init__(self, manager: AWSClientManager) -> None:
        self.manager = manager

    def cloudformation(self, region: str | None = None) -> CloudFormationService:
        return CloudFormationService(self.manager, region)

    def dynamodb(self, region: str | None = None) -> DynamoDBService:
        return DynamoDBService(self.manager, region)

    def s3(self, region: str | None = None) -> S3Service:
        return S3Service(self.manager, region)

    def logs(self, region: str | None = None) -> LogsService:
        return LogsService(self.manager, region)

    def awslambda(self, region: str | None = None) -> LambdaService:
        return LambdaService(self.manager, region)

    def iam(self) -> IamService:
        # IAM is global; its endpoint lives in us-east-1 for the aws partition.
        return IamService(self.manager, "us-east-1")
