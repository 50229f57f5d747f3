"""render(root, path, format): the file written is the path given, with the format's extension added only when
the path does not already end with it (render(root, "g.png", format="png") writes g.png, not g.png.png)."""


def test_render_writes_the_path_it_is_given_without_doubling_the_extension(tmp_path):
    from micrograd_ref import Value, render

    out = Value(2.0, label="a") * Value(3.0, label="b")
    assert render(out, tmp_path / "g.png", format="png") == str(tmp_path / "g.png")
    assert (tmp_path / "g.png").exists() and not (tmp_path / "g.png.png").exists()
    assert render(out, tmp_path / "h", format="svg") == str(tmp_path / "h.svg")  # no extension: the format's
