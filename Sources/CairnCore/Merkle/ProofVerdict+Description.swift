extension ProofVerdict: CustomStringConvertible {
    public var description: String {
        switch self {
        case .valid: "valid"
        case .invalid(let failure): failure.description
        }
    }
}

extension ProofFailure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .indexOutOfRange: "the index is not below the tree size"
        case .wrongProofLength(let expected, let got): "the proof has \(got) hashes where \(expected) are needed"
        case .rootMismatch: "the proof leads to a different root"
        case .sizesOutOfOrder: "the old size is larger than the new"
        case .emptyProofRequired: "equal sizes need an empty proof"
        case .oldTreeEmpty: "the old tree is empty"
        case .oldRootMismatch: "the proof leads to a different old root"
        case .newRootMismatch: "the proof leads to a different new root"
        }
    }
}
