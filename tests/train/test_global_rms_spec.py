"""TrainSpec.rms_decay / rms_eps: global_rms's settings, reaching its optimizer, absent from ids at default."""
import jax.numpy as jnp
import numpy as np

from genlab.identity import identity_fields
from genlab.optim import make_optimizer, schedule_fn
from genlab.train import TrainSpec

SPEC = dict(steps=10, batch_size=1, eval_every=10, optimizer="global_rms")


def _steps(spec, grads):
    opt = spec.optimizer_fn()(lr=1e-3, weight_decay=0.0)
    params = {"w": jnp.zeros(3)}
    state, out = opt.init(params), []
    for g in grads:
        update, state = opt.update({"w": jnp.asarray(g)}, state, params)
        out.append(np.asarray(update["w"]))
    return np.stack(out)


def test_defaults_are_make_optimizers_and_settings_reach_the_optimizer():
    grads = [np.array([1e-5, 2e-5, 0.0]), np.array([0.3, -0.1, 0.2])]
    plain = make_optimizer("global_rms", schedule_fn("constant", 10))(lr=1e-3, weight_decay=0.0)
    params = {"w": jnp.zeros(3)}
    state, ref = plain.init(params), []
    for g in grads:
        u, state = plain.update({"w": jnp.asarray(g)}, state, params)
        ref.append(np.asarray(u["w"]))
    np.testing.assert_array_equal(_steps(TrainSpec(**SPEC), grads), np.stack(ref))
    # eps 1e-4 dominates the RMS of a 1e-5 gradient: the first step shrinks far below lr
    tuned = _steps(TrainSpec(**SPEC, rms_decay=0.99, rms_eps=1e-4), grads)
    assert np.abs(tuned[0]).max() < 0.5e-3 < np.abs(_steps(TrainSpec(**SPEC), grads)[0]).max()


def test_fields_at_default_leave_the_identity_unchanged():
    assert "rms_decay" not in identity_fields(TrainSpec(**SPEC))
    assert "rms_eps" not in identity_fields(TrainSpec(**SPEC))
    assert identity_fields(TrainSpec(**SPEC, rms_eps=1e-4))["rms_eps"] == 1e-4
