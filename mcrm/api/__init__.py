"""The POS API under /api/v1: JSON, Bearer tokens per shop, an OpenAPI document."""
