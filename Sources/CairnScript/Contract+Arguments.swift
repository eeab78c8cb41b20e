extension Contract {
    /// The declared types of an action's arguments, over every case that names the action (the
    /// first declaration of a name wins), so a caller can convert arguments given as JSON.
    public func argumentTypes(action: String) -> [(name: String, type: ParamType)] {
        var out: [(name: String, type: ParamType)] = []
        var seen: Set<String> = []
        for when in program.whens {
            for c in when.cases where c.action == action {
                for a in c.args where seen.insert(a.name).inserted { out.append((a.name, a.type)) }
            }
        }
        return out
    }
}
