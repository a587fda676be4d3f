# Generated from scripts/infra/kafka/server.properties.tpl by scripts/infra/infra.sh
# (re-rendered at every start; edit the template, not the generated file).
# Single-node Apache Kafka in KRaft mode, local development only.

process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:@KAFKA_CONTROLLER_PORT@

listeners=PLAINTEXT://127.0.0.1:@KAFKA_PORT@,CONTROLLER://127.0.0.1:@KAFKA_CONTROLLER_PORT@
advertised.listeners=PLAINTEXT://127.0.0.1:@KAFKA_PORT@
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=@KAFKA_DATA_DIR@
metadata.log.dir=@KAFKA_DATA_DIR@

# A single node: every replication factor / ISR must be 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0

# Applications create their topics explicitly.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3

# Small machine (2 cores): few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4

log.retention.hours=24
log.segment.bytes=104857600
log.retention.check.interval.ms=300000
