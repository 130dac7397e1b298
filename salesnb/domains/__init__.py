"""The computations of each sales-ops domain: frames and parameters in, frames out; no reading, no display."""
