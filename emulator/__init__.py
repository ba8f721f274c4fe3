"""driftwarden's local AWS: moto, extended with CloudFormation drift detection and fault injection.

A test double for AWS, not a drift engine for production.
"""
