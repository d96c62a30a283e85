"""The SpiffWorkflow baseline of bench_engine.py: how many steps per second SpiffWorkflow takes
on this machine, without a database.

One step is what an application built on SpiffWorkflow does per user action, minus the
database: deserialize the workflow from the JSON string it keeps, complete the next ready
task (and let the engine run on to the next one), serialize the workflow back to a string.

The process is a case going idle → busy → idle twice: four user tasks in a row between a
start and an end event, parsed once from the BPMN below. The serialized form holds the spec
too, as BpmnWorkflowSerializer writes it by default. When the workflow completes, the next
step starts again from the serialized initial workflow; that swap costs nothing, so every
timed step pays for exactly one task completed. No task data: the smallest fair workload.

    SpiffWorkflow >= 3.1, < 4   (pip install -e '.[bench]')
"""
from __future__ import annotations

INSTALL_HINT = ".venv/bin/pip install 'SpiffWorkflow>=3.1,<4'  (or: .venv/bin/pip install -e '.[bench]')"

_TASKS = ("go_1", "back_1", "go_2", "back_2")


def _bpmn() -> str:
    """start → go_1 → back_1 → go_2 → back_2 → end, user tasks in between."""
    nodes = ["start", *_TASKS, "end"]
    tasks = "\n".join(f'    <bpmn:userTask id="{t}" name="{t}"/>' for t in _TASKS)
    flows = "\n".join(f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                      for i, (a, b) in enumerate(zip(nodes, nodes[1:])))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="bench">
  <bpmn:process id="case_cycle" isExecutable="true">
    <bpmn:startEvent id="start"/>
{tasks}
    <bpmn:endEvent id="end"/>
{flows}
  </bpmn:process>
</bpmn:definitions>
"""


class SpiffStepper:
    """A serialized SpiffWorkflow workflow, advanced one step per `step()`.

    Raises ImportError (see INSTALL_HINT) when SpiffWorkflow is not installed."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_str(_bpmn().encode(), filename="bench.bpmn")
        workflow = BpmnWorkflow(parser.get_spec("case_cycle"))
        workflow.do_engine_steps()  # past the start event: the first user task is ready
        self.serializer = BpmnWorkflowSerializer()
        self.ready = TaskState.READY
        self.initial = self.serializer.serialize_json(workflow)
        self.stored = self.initial
        self.steps = 0

    def step(self) -> None:
        """Deserialize, complete the next ready task, serialize."""
        workflow = self.serializer.deserialize_json(self.stored)
        task = workflow.get_next_task(state=self.ready, manual=True)
        if task is None:
            raise RuntimeError("SpiffWorkflow: no ready task in a workflow that is not complete")
        task.run()
        workflow.do_engine_steps()
        stored = self.serializer.serialize_json(workflow)
        self.steps += 1
        # a completed workflow starts over from its initial form: the next step is again one task
        self.stored = self.initial if workflow.is_completed() else stored

    def run(self, count: int) -> int:
        step = self.step
        for _ in range(count):
            step()
        return count
