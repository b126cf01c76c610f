"""Infinite-width NNGP / NTK kernels, empirical NTKs of finite nets, and kernel predictors."""
from genlab.kernels.conv1d import conv1d_kernel as conv1d_kernel
from genlab.kernels.conv1d import conv1d_kernels as conv1d_kernels
from genlab.kernels.empirical import empirical_ntk as empirical_ntk
from genlab.kernels.fc import fc_kernel as fc_kernel
from genlab.kernels.fc import fc_kernels as fc_kernels
from genlab.kernels.finite import apply_conv1d as apply_conv1d
from genlab.kernels.finite import apply_fc as apply_fc
from genlab.kernels.finite import init_conv1d as init_conv1d
from genlab.kernels.finite import init_fc as init_fc
from genlab.kernels.finite import make_net as make_net
from genlab.kernels.finite import mean_empirical_ntk as mean_empirical_ntk
from genlab.kernels.finite import sample_outputs as sample_outputs
from genlab.kernels.regression import accuracy as accuracy
from genlab.kernels.regression import gd_prediction as gd_prediction
from genlab.kernels.regression import kernel_regression as kernel_regression
from genlab.kernels.regression import nngp_posterior as nngp_posterior
from genlab.kernels.regression import one_hot_targets as one_hot_targets

__all__ = [
    "accuracy", "apply_conv1d", "apply_fc", "conv1d_kernel", "conv1d_kernels", "empirical_ntk",
    "fc_kernel", "fc_kernels", "gd_prediction", "init_conv1d", "init_fc", "kernel_regression",
    "make_net", "mean_empirical_ntk", "nngp_posterior", "one_hot_targets", "sample_outputs",
]
