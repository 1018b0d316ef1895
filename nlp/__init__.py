"""Plan KB language pipeline: read → repair → segment → tag departments/indicators → link."""
