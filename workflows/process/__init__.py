"""The process engine and its models: the only package that knows BPMN."""
