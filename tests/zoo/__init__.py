"""Small engines with micrograd's API that the project did not write, each a plain module (no import of this
project), checked through ``micrograd:MODULE`` by tests/test_micrograd_api.py: spelled unlike micrograd, gradients
on leaves only, float32 storage, set-order sums, and ones that segfault, abort, hang or answer garbage. The tests
put tests/zoo on the path (or copy a module into a second venv) and name the module alone: micrograd:leafonly."""
