"""xsflow: declared procedures with statutory working-day timers.

The core package does no HTTP and runs no scheduler; `adapters/` build on it.
"""
