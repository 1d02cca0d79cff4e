import pytest

from geo import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.SourceError, ValueError),
        (errors.CRSError, ValueError),
        (errors.LayerError, ValueError),
        (errors.WorkspaceError, FileNotFoundError),
    ],
)
def test_each_error_is_a_landplan_error_and_its_builtin(cls, builtin):
    err = cls("x")
    assert isinstance(err, errors.LandplanError)
    assert isinstance(err, builtin)


def test_base_is_exported_from_the_package():
    import geo

    assert geo.LandplanError is errors.LandplanError
