import GroupEvents

/// Flattens the model into the rows the tree pane can show, so that rendering a frame only
/// looks at the visible slice, however many tasks there are.
///
/// Built by the reducer before a frame when the model or the view choices changed: on a tick,
/// a replay position, a key or a resize, never per batch of records and never while rendering. Order: root groups, each followed by its children
/// (sorted per ``SortOrder``), each child followed by the groups opened inside it.
enum TreeIndex {
    /// Nesting beyond this is drawn flat: a hostile stream must not blow the stack.
    static let maxDepth = 32

    static func rows(of model: StreamModel, view: ViewState, now: MonotonicTime) -> [TreeRow] {
        let filter = TextFilter(view.filter)
        if view.showsHistory {
            let history = model.history
            return (0..<history.count).compactMap { offset -> TreeRow? in
                let entry = history[newest: offset]
                guard filter.matches(entry.name) || filter.matches(entry.status.rawValue) || filter.matches(entry.groupName)
                else { return nil }
                return TreeRow(ref: .history(history.appended - 1 - offset), depth: 0)
            }
        }
        var builder = Builder(model: model, view: view, filter: filter, now: now)
        let roots = model.groups.values.filter { $0.attachedTo == nil }
        for root in sortedGroups(roots, by: view.sort) {
            builder.appendGroup(root, depth: 0, ancestorMatches: false)
        }
        // Groups nested too deep to indent further are listed as roots of their own.
        while !builder.deferred.isEmpty {
            let next = builder.deferred
            builder.deferred = []
            for group in next { builder.appendGroup(group, depth: 0, ancestorMatches: false) }
        }
        return builder.rows
    }

    static func sortedGroups(_ groups: [GroupRecord], by order: SortOrder) -> [GroupRecord] {
        switch order {
        case .spawnOrder, .duration:
            return groups.sorted { $0.id < $1.id }
        case .status:
            return groups.sorted { ($0.faults > 0 ? 0 : 1, $0.id) < ($1.faults > 0 ? 0 : 1, $1.id) }
        case .name:
            return groups.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
        }
    }

    private struct Builder {
        let model: StreamModel
        let view: ViewState
        let filter: TextFilter
        let now: MonotonicTime
        var rows: [TreeRow] = []
        /// Groups below ``TreeIndex/maxDepth``, drawn after the roots rather than recursed into.
        var deferred: [GroupRecord] = []

        init(model: StreamModel, view: ViewState, filter: TextFilter, now: MonotonicTime) {
            self.model = model
            self.view = view
            self.filter = filter
            self.now = now
            rows.reserveCapacity(model.tasks.count + model.groups.count)
        }

        func taskMatches(_ task: TaskRecord, groupName: String) -> Bool {
            if let site = view.siteFilter, task.site != site { return false }
            return filter.matches(task.name) || filter.matches(task.phase.word) || filter.matches(groupName)
        }

        /// Appends the group and what is under it. When the group (or a group above it)
        /// matches the filter, its whole subtree is shown.
        mutating func appendGroup(_ group: GroupRecord, depth: Int, ancestorMatches: Bool) {
            let groupRow = rows.count
            rows.append(TreeRow(ref: .group(group.id), depth: depth))
            // Filtered to a site, a group shows only for its children of that site.
            let groupMatches = view.siteFilter == nil && (ancestorMatches || filter.matches(group.name))
            let children = sortedChildren(of: group)
            if view.collapsed.contains(group.id) {
                // Shown collapsed when it or one of its children matches.
                if !groupMatches, !children.contains(where: { taskMatches($0, groupName: group.name) }) {
                    rows.removeLast()
                }
                return
            }
            for task in children {
                let taskRow = rows.count
                let shown = groupMatches || taskMatches(task, groupName: group.name)
                if shown { rows.append(TreeRow(ref: .task(task.id), depth: depth + 1)) }
                for nested in task.childGroups {
                    guard let child = model.groups[nested], child.attachedTo == task.id else { continue }
                    if depth + 3 > TreeIndex.maxDepth {  // its tasks would be at depth + 3
                        deferred.append(child)
                    } else {
                        appendGroup(child, depth: depth + 2, ancestorMatches: groupMatches)
                    }
                }
                // A nested group matched though its task did not: show the task for context.
                if !shown, rows.count > taskRow {
                    rows.insert(TreeRow(ref: .task(task.id), depth: depth + 1), at: taskRow)
                }
            }
            if !groupMatches, rows.count == groupRow + 1 {
                rows.removeLast()
            }
        }

        func sortedChildren(of group: GroupRecord) -> [TaskRecord] {
            var children: [TaskRecord] = []
            children.reserveCapacity(group.children.count - group.departedChildren)
            for id in group.children {
                if let task = model.tasks[id], task.group == group.id { children.append(task) }
            }
            switch view.sort {
            case .spawnOrder:
                break  // already in spawn order
            case .duration:
                let now = self.now
                children.sort { ($0.duration(at: now), $1.id) > ($1.duration(at: now), $0.id) }
            case .status:
                children.sort { ($0.phase.rank, $0.id) < ($1.phase.rank, $1.id) }
            case .name:
                children.sort { ($0.name, $0.id) < ($1.name, $1.id) }
            }
            return children
        }
    }
}
