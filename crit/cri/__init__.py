"""CRI v1 client layer: generated stubs (pb), CriClient (client), errors, config and specs."""
