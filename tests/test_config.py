import dataclasses

import pytest

from nlpcourse.config import PROFILES, RunConfig, get_config


def test_profiles_differ_in_scale():
    quick, full = get_config("quick"), get_config("full")
    assert quick.train_size == 2000 and quick.test_size == 1000
    assert full.train_size is None and full.test_size is None
    assert quick.choose(quick=1, full=2) == 1 and full.choose(quick=1, full=2) == 2


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("NLPCOURSE_PROFILE", "FULL")
    assert get_config().profile == "full"
    monkeypatch.setenv("NLPCOURSE_PROFILE", "quick")
    assert get_config().profile == "quick"


def test_default_profile_follows_cuda(monkeypatch):
    import nlpcourse.config as config
    monkeypatch.delenv("NLPCOURSE_PROFILE", raising=False)
    monkeypatch.setattr(config, "_cuda_available", lambda: True)
    assert get_config().profile == "full"
    monkeypatch.setattr(config, "_cuda_available", lambda: False)
    assert get_config().profile == "quick"


def test_unknown_profile_lists_valid_ones(monkeypatch):
    with pytest.raises(ValueError, match="full, quick"):
        get_config("medium")
    monkeypatch.setenv("NLPCOURSE_PROFILE", "gpu")
    with pytest.raises(ValueError, match="NLPCOURSE_PROFILE"):
        get_config()


def test_seed_override_and_bad_seed(monkeypatch):
    assert get_config("quick", seed=7).seed == 7
    monkeypatch.setenv("NLPCOURSE_SEED", "3")
    assert get_config("quick").seed == 3
    monkeypatch.setenv("NLPCOURSE_SEED", "three")
    with pytest.raises(ValueError, match="NLPCOURSE_SEED must be an integer"):
        get_config("quick")


@pytest.mark.parametrize("seed", [-5, "x", 2.5, 2**32, True])
def test_bad_seed_argument_is_named(seed):
    with pytest.raises(ValueError, match=r"^seed must be a whole number between 0 and 4294967295, got .*seed=0"):
        get_config("quick", seed=seed)


def test_bad_seed_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("NLPCOURSE_SEED", "-5")
    with pytest.raises(ValueError, match="^NLPCOURSE_SEED must be a whole number between 0 and"):
        get_config("quick")


def test_config_is_frozen():
    cfg = PROFILES["quick"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 99
    assert cfg.replace(seed=5).seed == 5 and cfg.seed != 5
    assert isinstance(cfg, RunConfig)


def test_run_config_holds_profile_seed_and_data_sizes_only():
    """Model sizes and training settings live beside each model (preset and recipe), not here."""
    assert [f.name for f in dataclasses.fields(RunConfig)] == ["profile", "seed", "train_size", "test_size"]


def test_train_recipe_checks_its_fields_and_defaults_to_fits():
    from nlpcourse.config import TrainRecipe
    assert (TrainRecipe().epochs, TrainRecipe().lr, TrainRecipe().patience, TrainRecipe().schedule) == \
        (1, 1e-3, None, "constant")
    for field, bad in [("epochs", 0), ("batch_size", 2.5), ("accumulate", 0), ("patience", 0), ("lr", 0.0),
                       ("truncating", "middle")]:
        with pytest.raises(ValueError, match=f"^{field} must"):
            TrainRecipe(**{field: bad})
    with pytest.raises(TypeError, match="no field 'epoch'.*its fields are batch_size"):
        TrainRecipe().replace(epoch=3)
