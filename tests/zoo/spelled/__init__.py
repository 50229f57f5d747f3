"""An engine spelled unlike micrograd: its class is Scalar, in the submodule diffengine (not imported here)."""
