#!/bin/sh
# mkproto.sh DIR - prints a protofile for `mkfs.xfs -p` that makes the
# tree DIR (regular files, directories, symbolic links; names without
# blanks), owned by root, so that mkfs.xfs populates a filesystem image
# without a mount or a loop device (mkfs.xfs(8), "-p protofile").
#
# The format: a boot-image line, a blocks/inodes line, then the root
# directory "d--755 0 0" and, one per line, NAME MODE UID GID and for a
# file the host file, for a link its target; a directory's entries
# follow it and end with "$".  find lists the tree in preorder; awk
# closes the directories as the depth falls.
set -eu
dir=$(cd "${1:?usage: mkproto.sh DIR}" && pwd)
printf 'hvoffline\n0 0\nd--755 0 0\n'
find "$dir" -mindepth 1 -printf '%d %y %m %f %p %l\n' | awk '
{
    while (cur >= $1) { print "$"; cur-- }
    m = substr("000" $3, length("000" $3) - 2)
    if ($2 == "d") { print $4, "d--" m, 0, 0; cur = $1 }
    else if ($2 == "l") print $4, "l--777", 0, 0, $6
    else if ($2 == "f") print $4, "---" m, 0, 0, $5
}
END { while (cur >= 1) { print "$"; cur-- }; print "$" }'
