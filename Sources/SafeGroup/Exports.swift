// `import SafeGroup` is enough to use a group and read its report: the types a user names
// (`GroupClosed.Outcome`, `TaskID`, `GroupID`, `FaultKind`, `StackFrame`, `EventSink`…) belong
// to the event model, which SafeGroup re-exports rather than repeating them.
@_exported import GroupEvents
