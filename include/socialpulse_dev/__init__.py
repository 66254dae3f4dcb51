"""Development tools: the platform simulator and the local environment. Never imported by socialpulse, never shipped."""
