"""The hotline registry (热线归并): every number folded into, kept beside, or linked to 12345, its
consolidation mode and status with a full history, and call routing over an in-memory snapshot."""
