"""The demo: the design's canonical story loaded into an instance, with its history."""
