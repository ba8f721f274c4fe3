"""Typed facades over AWS services; every list paginates, every error is categorised."""

from awskit.services.awslambda import LambdaService
from awskit.services.cloudformation import CloudFormationService, DriftDetectionStatus
from awskit.services.dynamodb import DynamoDBService
from awskit.services.factory import ServiceFactory
from awskit.services.iam import IamService
from awskit.services.logs import LogsService
from awskit.services.s3 import BucketInfo, S3Service

__all__ = [
    "BucketInfo",
    "CloudFormationService",
    "DriftDetectionStatus",
    "DynamoDBService",
    "IamService",
    "LambdaService",
    "LogsService",
    "S3Service",
    "ServiceFactory",
]
