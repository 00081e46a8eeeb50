"""The police (ПДН) adapter: a pull partner; it polls its hub inbox and acks."""

from adapters.base import Adapter

__all__ = ["ADAPTER"]

ADAPTER = Adapter(code="police", delivery_mode="pull")
