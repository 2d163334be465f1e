"""Static discovery: fixture projects parsed, never imported."""
