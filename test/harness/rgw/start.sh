#!/usr/bin/env bash
# A one-node Ceph cluster with a RADOS Gateway on loopback, for tests against a real S3 server that
# honours conditional writes, multipart rules and aborts (s3rver does not). Debian 12's Ceph 16:
# one monitor (msgr2 on 127.0.0.1), one OSD keeping objects in memory (memstore), pools of size 1,
# no manager, no systemd. Everything lives under DIR; the daemons' pids go to DIR/pids.
# Usage: start.sh DIR MON_PORT RGW_PORT ACCESS_KEY SECRET_KEY   (prints nothing on success)
set -euo pipefail
dir=$1 mon_port=$2 rgw_port=$3 access=$4 secret=$5
mkdir -p "$dir"/{mon,osd/ceph-0,run,log,rgw}
conf=$dir/ceph.conf
fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/admin.keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd pool default read lease ratio = 1000
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[mon]
keyring = $dir/mon.keyring
[osd]
keyring = $dir/osd/\$cluster-\$id/keyring
[client.rgw.t]
keyring = $dir/rgw.keyring
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 32
CONF
ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/admin.keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/admin.keyring" >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
ceph-mon -c "$conf" -i a
c() { timeout 30 ceph -c "$conf" --connect-timeout 20 "$@"; }
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
id=$(c osd new "$osd_uuid")
ceph-osd -c "$conf" -i "$id" --mkfs --mkkey --osd-uuid "$osd_uuid" --no-mon-config 2>/dev/null
c auth add "osd.$id" osd 'allow *' mon 'allow profile osd' -i "$dir/osd/ceph-$id/keyring" >/dev/null 2>&1
ceph-osd -c "$conf" -i "$id"
for pool in .rgw.root default.rgw.control default.rgw.meta default.rgw.log default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
  c osd pool create "$pool" 8 8 >/dev/null 2>&1
  c osd pool application enable "$pool" rgw >/dev/null 2>&1
done
c auth get-or-create client.rgw.t mon 'allow rw' osd 'allow rwx' -o "$dir/rgw.keyring" >/dev/null 2>&1
radosgw -c "$conf" -n client.rgw.t
timeout 60 radosgw-admin -c "$conf" user create --uid=pgward --display-name=pgward --access-key="$access" --secret-key="$secret" >/dev/null
