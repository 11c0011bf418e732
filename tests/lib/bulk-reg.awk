# bulk-reg.awk - writes a .reg file of 20 keys x 100 REG_SZ values under
# HKEY_LOCAL_MACHINE\SYSTEM\<key> (awk -v key=NAME -f bulk-reg.awk):
# 2,000 values, for the killed-import test (tests/registry/kill-import.sh)
# and the hive-growth benchmark (bench/registry.sh).
BEGIN {
    print "Windows Registry Editor Version 5.00"; print ""
    print "[HKEY_LOCAL_MACHINE\\SYSTEM\\" key "]"
    for (k = 0; k < 20; k++) {
        printf "\n[HKEY_LOCAL_MACHINE\\SYSTEM\\%s\\Key%02d]\n", key, k
        for (v = 0; v < 100; v++)
            printf "\"Value%03d\"=\"data for key %d value %d, a string of moderate length\"\n", v, k, v
    }
}
