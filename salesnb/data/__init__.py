"""Data in: the contract, validation, mappings of CRM exports, the workspace, the demo and shape generators."""
