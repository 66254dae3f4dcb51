"""Local HTTP server speaking the platforms' API contracts, for demos and tests."""

from socialpulse_dev.simulator.server import SimulatorConfig, serve

__all__ = ["SimulatorConfig", "serve"]
