//! Recursive schemas compile: a direct self-reference is boxed, one through a `Vec` is not.

connector_runtime::connector!("pass/recursive.yaml");

fn depth(folder: &tree::Folder) -> usize {
    1 + folder.parent.as_deref().map_or(0, depth)
}

fn names(node: &tree::Node) -> Vec<String> {
    match node {
        tree::Node::Folder(folder) => {
            let mut found = vec![folder.name.clone()];
            found.extend(folder.children.iter().flatten().flat_map(names));
            found
        }
        tree::Node::Leaf(leaf) => vec![leaf.name.clone()],
    }
}

fn main() {
    let root = tree::Folder { name: "root".into(), parent: None, children: None };
    let child = tree::Folder {
        name: "child".into(),
        parent: Some(Box::new(root)),
        children: Some(vec![tree::Node::Leaf(tree::Leaf { name: "leaf".into(), owner: None })]),
    };
    assert_eq!(depth(&child), 2);
    assert_eq!(names(&tree::Node::Folder(child)), ["child", "leaf"]);
}
