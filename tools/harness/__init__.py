"""The parallel_dblink harness: throwaway clusters, package setup, checks, demo."""
