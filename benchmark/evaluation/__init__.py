"""What one cell measures: protocols and splits, preprocessing, the rows a cell trains
and tests on, the cell's identity, its computation, metrics and threshold policies."""
