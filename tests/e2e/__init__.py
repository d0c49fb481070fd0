"""End-to-end tests: template.yaml through the local runtime and the local API."""
