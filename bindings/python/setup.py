"""Installs the baton package: pip install ./bindings/python (needs libbaton installed, or BATON_LIBRARY)."""
from setuptools import setup

setup(
    name="baton",
    version="0.1.0",
    description="HuggingGPT-style task orchestration: Python bindings over libbaton (ctypes)",
    packages=["baton"],
    package_data={"baton": ["py.typed"]},
    python_requires=">=3.9",
)
