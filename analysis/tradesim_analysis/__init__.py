"""Plots and reports from tradesim run files (HDF5). Run with Debian's /usr/bin/python3."""
