"""verzuim-gateway: report unexcused absence (verzuim) to DUO over the machinekoppeling."""

__version__ = "0.1.0"
