"""How cells get computed: the run's configuration, the plan, the local engine with its
warm worker processes, fold groups, the Dask backend, resource limits and the cost model."""
