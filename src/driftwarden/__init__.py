"""driftwarden: continuous cross-account CloudFormation drift detection."""
