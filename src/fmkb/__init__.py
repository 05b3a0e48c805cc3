"""fmkb: the Foundation Model Knowledge Base engine (load -> resolve -> check -> render)."""

__version__ = "0.1.0"
