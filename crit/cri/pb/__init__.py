"""Generated CRI v1 stubs (runtime.v1). Regenerate with scripts/gen_protos.py."""
