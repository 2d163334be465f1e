"""`contract diff`: breaking changes between two OpenAPI documents, and agreement with oasdiff."""
