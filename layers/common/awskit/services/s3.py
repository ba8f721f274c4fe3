"""S3: bucket existence, location, versioning and encryption, without listing every bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awskit.errors import ResourceNotFoundError
from awskit.services.base import ServiceFacade, has_error_code


@dataclass(frozen=True)
class BucketInfo:
    name: str
    region: str


class S3Service(ServiceFacade):
    service_name = "s3"

    def get_bucket(self, bucket_name: str) -> BucketInfo | None:
        """The bucket and its region, or None when it does not exist.

        HeadBucket answers for one bucket; the seed listed every bucket in the account to find
        one, which is slow and needs s3:ListAllMyBuckets. A 403 (exists, not ours) raises
        AccessDeniedError rather than pretending the bucket is absent.
        """
        try:
            with self._translated("HeadBucket", bucket_name):
                response = self.client.head_bucket(Bucket=bucket_name)
        except ResourceNotFoundError:
            return None
        region = response.get("BucketRegion")
        if not region:
            with self._translated("GetBucketLocation", bucket_name):
                location = self.client.get_bucket_location(Bucket=bucket_name)
            # The API reports us-east-1 as an empty LocationConstraint.
            region = location.get("LocationConstraint") or "us-east-1"
        return BucketInfo(name=bucket_name, region=region)

    def bucket_exists(self, bucket_name: str) -> bool:
        return self.get_bucket(bucket_name) is not None

    def get_bucket_versioning(self, bucket_name: str) -> str:
        """'Enabled', 'Suspended', or 'Disabled' for a bucket that never had versioning."""
        with self._translated("GetBucketVersioning", bucket_name):
            response = self.client.get_bucket_versioning(Bucket=bucket_name)
        return str(response.get("Status") or "Disabled")

    def get_bucket_encryption(self, bucket_name: str) -> list[dict[str, Any]] | None:
        """The server-side encryption rules, or None when none is configured."""
        try:
            with self._translated("GetBucketEncryption", bucket_name):
                response = self.client.get_bucket_encryption(Bucket=bucket_name)
        except Exception as exc:
            if has_error_code(exc, "ServerSideEncryptionConfigurationNotFoundError"):
                return None
            raise
        return list(response["ServerSideEncryptionConfiguration"]["Rules"])
